package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestMain(m *testing.M) {
	org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(args, &out, &errb); err != nil {
		t.Fatalf("luoshi %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// target gives the flags that point a command at a fresh database of engine d.
func target(t *testing.T, d store.Dialect) []string {
	if d == store.SQLite {
		return []string{"--data", t.TempDir()}
	}
	return []string{"--data", t.TempDir(), "--db", storetest.URL(t, d)}
}

var schemaLine = regexp.MustCompile(`schema version (\d+), this binary carries (\d+)`)

// versionOK: after migrate the database is at the version the binary carries.
func versionOK(out string) bool {
	m := schemaLine.FindStringSubmatch(out)
	return m != nil && m[1] == m[2] && m[1] != "0"
}

func TestCommands(t *testing.T) {
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			flags := target(t, d)
			if out := runOK(t, append([]string{"migrate"}, flags...)...); !strings.HasPrefix(out, "schema version ") {
				t.Fatalf("migrate: %q", out)
			}
			// after migrate, the database is at the version the binary carries
			if v := runOK(t, append([]string{"version"}, flags...)...); !versionOK(v) {
				t.Fatalf("version: %q", v)
			}
			// bootstrap as serve would, then mint a token and use it
			db, err := store.Open(context.Background(), dbTarget(flags))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			pw, err := org.Bootstrap(context.Background(), db, "")
			if err != nil || len(pw) != 20 {
				t.Fatalf("bootstrap: %q %v", pw, err)
			}
			if again, _ := org.Bootstrap(context.Background(), db, ""); again != "" {
				t.Fatal("bootstrap ran twice")
			}
			tok := strings.TrimSpace(runOK(t, append([]string{"token", "create", "--user", "admin"}, flags...)...))
			if uid, _, err := auth.AuthenticateToken(context.Background(), db, tok); err != nil || uid == 0 {
				t.Fatalf("token %q does not authenticate: %v", tok, err)
			}
			var out, errb bytes.Buffer
			err = run(append([]string{"token", "create", "--user", "nobody"}, flags...), &out, &errb)
			if err == nil || !strings.Contains(describe(err), `no user "nobody"`) {
				t.Fatalf("token for unknown user: %v", err)
			}
			if out := runOK(t, append([]string{"audit", "verify"}, flags...)...); !strings.Contains(out, "intact") {
				t.Fatalf("verify: %q", out)
			}
			// tamper: the command must fail naming the entry
			disarm := "DROP TRIGGER audit_log_no_update"
			if d == store.Postgres {
				disarm = "ALTER TABLE audit_log DISABLE TRIGGER USER"
			}
			db.Write.Exec(disarm)
			if _, err := db.Write.Exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			err = run(append([]string{"audit", "verify"}, flags...), &out, &errb)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 3 || !strings.Contains(out.String(), "entry 2") {
				t.Fatalf("tampered chain: err=%v out=%q", err, out.String())
			}
		})
	}
}

func dbTarget(flags []string) string {
	for i, f := range flags {
		if f == "--db" {
			return flags[i+1]
		}
	}
	return filepath.Join(flags[1], "luoshi.db")
}

func TestBackupCommandRoundTrip(t *testing.T) {
	data := t.TempDir()
	runOK(t, "migrate", "--data", data)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	if s := runOK(t, "backup", "--data", data, "--out", out); !strings.Contains(s, "backup written") {
		t.Fatal(s)
	}
	restored := filepath.Join(t.TempDir(), "r")
	runOK(t, "restore", "--in", out, "--data", restored)
	if s := runOK(t, "audit", "verify", "--data", restored); !strings.Contains(s, "intact") {
		t.Fatal(s)
	}
}

func TestBadInvocations(t *testing.T) {
	cases := [][]string{
		{},
		{"nonsense"},
		{"token"},
		{"token", "create"},
		{"backup"},
		{"serve", "--addr", "not-an-address"},
		{"migrate", "--db", "mysql://x"},
		{"version", "extra-arg"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if err := run(c, &out, &errb); err == nil {
			t.Errorf("luoshi %v succeeded", c)
		}
	}
}
