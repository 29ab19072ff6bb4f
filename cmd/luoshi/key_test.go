package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/vault"
)

// runExit runs a command that must fail and returns its exit code and output.
func runExit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, &out, &errb)
	var ee *exitError
	if !errors.As(err, &ee) {
		t.Fatalf("luoshi %s: want an exit error, got %v", strings.Join(args, " "), err)
	}
	return ee.code, ee.msg + out.String()
}

func TestWrongMasterKeyIsRefused(t *testing.T) {
	for _, bad := range [][]string{{"key"}, {"key", "rotate"}} {
		if code, _ := runExit(t, bad...); code != 2 {
			t.Fatalf("luoshi %v: exit %d, want 2", bad, code)
		}
	}
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			flags := target(t, d)
			data := flags[1]
			// key check before any start: no key file, nothing is created
			if code, msg := runExit(t, append([]string{"key", "check"}, flags...)...); code != 4 || !strings.Contains(msg, "does not exist") {
				t.Fatalf("key check without a key: %d %q", code, msg)
			}
			if _, err := os.Stat(filepath.Join(data, vault.KeyFileName)); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("key check created a key file")
			}
			runOK(t, append([]string{"migrate"}, flags...)...) // first start: creates and registers the key
			good, err := os.ReadFile(filepath.Join(data, vault.KeyFileName))
			if err != nil {
				t.Fatal(err)
			}
			if out := runOK(t, append([]string{"key", "check"}, flags...)...); !strings.Contains(out, "matches the database") {
				t.Fatalf("key check: %q", out)
			}
			runOK(t, append([]string{"migrate"}, flags...)...) // the next start with the same key

			// the key file is lost: the start creates a new one and refuses it
			os.Remove(filepath.Join(data, vault.KeyFileName))
			code, msg := runExit(t, append([]string{"migrate"}, flags...)...)
			if code != 4 || !strings.Contains(msg, "from your key backup") || !strings.Contains(msg, "was just created") {
				t.Fatalf("start with a lost key: %d %q", code, msg)
			}
			if code, _ := runExit(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...)...); code != 4 {
				t.Fatalf("serve with the wrong key: exit %d", code)
			}
			if code, _ := runExit(t, append([]string{"key", "check"}, flags...)...); code != 4 {
				t.Fatalf("key check with the wrong key: exit %d", code)
			}
			// restoring the backed-up key brings it back
			os.WriteFile(filepath.Join(data, vault.KeyFileName), good, 0o600)
			runOK(t, append([]string{"key", "check"}, flags...)...)

			// LUOSHI_MASTER_KEY wins over the file: a wrong one is refused
			wrong := make([]byte, 32)
			rand.Read(wrong)
			t.Setenv(vault.EnvName, base64.StdEncoding.EncodeToString(wrong))
			if code, msg := runExit(t, append([]string{"migrate"}, flags...)...); code != 4 || !strings.Contains(msg, vault.EnvName) {
				t.Fatalf("wrong env key: %d %q", code, msg)
			}
			t.Setenv(vault.EnvName, strings.TrimSpace(string(good)))
			runOK(t, append([]string{"migrate"}, flags...)...)
		})
	}
}
