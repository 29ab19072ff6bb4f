package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestCrashKeepsAcknowledgedReports starts the real binary, sends public
// reports from several clients at once, kills the server with SIGKILL at a
// random moment, restarts it, and checks that every report that was answered
// 201 is there and decrypts with its key; the audit chain still verifies.
// Three kill points per engine.
func TestCrashKeepsAcknowledgedReports(t *testing.T) {
	bin := buildLuoshi(t)
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			flags := []string{"--data", dir}
			dbURL := filepath.Join(dir, "luoshi.db")
			if d == store.Postgres {
				dbURL = storetest.URL(t, d)
				flags = append(flags, "--db", dbURL)
			}
			seedUnits(t, dbURL)
			var acked []ack
			for round := range 3 {
				srv := startServer(t, bin, flags)
				got := submitUntilKilled(t, srv, time.Duration(300+rand.IntN(700))*time.Millisecond)
				if len(got) == 0 {
					t.Fatalf("round %d: nothing acknowledged before the kill", round)
				}
				acked = append(acked, got...)
			}
			srv := startServer(t, bin, flags)
			defer srv.stop()
			for _, a := range acked {
				body, _ := json.Marshal(map[string]string{"receipt": a.receipt, "key": a.key})
				res, err := http.Post(srv.base+"/api/v1/public/reports/lookup", "application/json", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				var v struct {
					Subject string `json:"subject"`
				}
				json.NewDecoder(res.Body).Decode(&v)
				res.Body.Close()
				if res.StatusCode != 200 || v.Subject != a.subject {
					t.Errorf("acknowledged report %s: %d %q, want %q", a.receipt, res.StatusCode, v.Subject, a.subject)
				}
			}
			srv.stop()
			var out, errb bytes.Buffer
			if err := run(append([]string{"audit", "verify"}, flags...), &out, &errb); err != nil {
				t.Fatalf("audit verify after crashes: %v\n%s%s", err, out.String(), errb.String())
			}
			t.Logf("%s: %d acknowledged reports survived 3 kills", d, len(acked))
		})
	}
}

type ack struct{ receipt, key, subject string }

func seedUnits(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sys := org.SystemPrincipal()
	for _, u := range []org.UnitInput{{Code: "p", Name: "省委政法委", Kind: "province"}, {Code: "court", Name: "某法院", Kind: "organ", ParentCode: "p"}} {
		if _, err := org.CreateUnit(ctx, db, sys, u); err != nil {
			t.Fatal(err)
		}
	}
}

type server struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

func (s *server) stop() {
	s.cmd.Process.Kill()
	<-s.done
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// binDir holds the binary built once for every test that runs it (TestMain removes it).
var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// buildLuoshi builds the luoshi binary once per test run.
func buildLuoshi(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "luoshi-bin-"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "luoshi"), ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "luoshi")
}

func startServer(t *testing.T, bin string, flags []string) *server {
	t.Helper()
	addr := freePort(t)
	return startServerAt(t, bin, addr, "http://"+addr, http.DefaultClient, flags)
}

// startServerAt starts luoshi serve listening on addr and waits until base
// answers /healthz through client.
func startServerAt(t *testing.T, bin, addr, base string, client *http.Client, flags []string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--log-level", "warn", "--public-per-day", "0"}, flags...)...)
	cmd.Env = append(os.Environ(), "LUOSHI_ADMIN_PASSWORD=crash-test-2026")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: base, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := client.Get(s.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("the server exited at start:\n%s", logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.stop()
	t.Fatalf("the server did not answer /healthz:\n%s", logs.String())
	return nil
}

// submitUntilKilled sends reports from 8 clients and SIGKILLs the server
// the given time after the first acknowledgements; it returns the reports
// answered 201.
func submitUntilKilled(t *testing.T, s *server, after time.Duration) []ack {
	var mu sync.Mutex
	var acked []ack
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				subject := fmt.Sprintf("崩溃测试 %d-%d-%d", w, i, rand.Int())
				body := fmt.Sprintf(`{"category":"work","unit_code":"court","subject":%q,"content":"内容%s","reporter":{"name":"测试人","phone":"13800000000"}}`,
					subject, strings.Repeat("字", 50))
				res, err := client.Post(s.base+"/api/v1/public/reports", "application/json", strings.NewReader(body))
				if err != nil {
					continue // the server is gone: this one was never acknowledged
				}
				var rc struct{ Receipt, Key string }
				err = json.NewDecoder(res.Body).Decode(&rc)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated && err == nil {
					mu.Lock()
					acked = append(acked, ack{rc.Receipt, rc.Key, subject})
					mu.Unlock()
				}
			}
		}()
	}
	// the kill point: a random moment after the first few acknowledgements
	// (on a busy machine the first commit can take a while)
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 3 {
			break
		}
	}
	time.Sleep(after)
	s.cmd.Process.Signal(os.Kill)
	<-s.done
	close(stop)
	wg.Wait()
	return acked
}
