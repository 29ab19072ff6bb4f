package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// crashKills is the number of SIGKILLs per engine.
const crashKills = 4

// TestCrashKeepsAcknowledgedRequests starts the real binary and drives it
// with public reports (half with a file) and staff progress reports on the
// ledger (each with an evidence file) from several clients at once; it kills
// the server with SIGKILL at a random moment, restarts it, and does that
// crashKills times. Then every request that was acknowledged must be there
// and intact: the report's sealed content decrypts through the receipt
// look-up, every file (decrypted, for reports) has the SHA-256 of what was
// sent, every progress report is on its item's timeline with its evidence,
// and `luoshi audit verify` exits 0. On SQLite (a temporary data folder) and
// on PostgreSQL (a fresh database on the test server, dropped afterwards).
func TestCrashKeepsAcknowledgedRequests(t *testing.T) {
	bin := buildLuoshi(t)
	for _, d := range storetest.Engines(t) { // CI without PostgreSQL fails here
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			flags := []string{"--data", dir}
			dbURL := filepath.Join(dir, "luoshi.db")
			if d == store.Postgres {
				dbURL = freshPostgresDB(t)
				flags = append(flags, "--db", dbURL)
			}
			tokens := seedCrash(t, dbURL)
			var w crashWork
			for round := range crashKills {
				srv := startServer(t, bin, flags)
				if round == 0 {
					w.problems = createProblems(t, srv.base, tokens, 3)
				}
				before := w.count()
				w.driveUntilKilled(t, srv, tokens, time.Duration(200+mrand.IntN(800))*time.Millisecond)
				if w.count() == before {
					t.Fatalf("round %d: nothing acknowledged before the kill", round)
				}
			}
			srv := startServer(t, bin, flags)
			lost := w.check(t, srv.base, tokens)
			srv.stop()
			cmd := exec.Command(bin, append([]string{"audit", "verify"}, flags...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("luoshi audit verify after %d kills: %v\n%s", crashKills, err, out)
			}
			t.Logf("%s: %d kills survived; acknowledged: %d public reports (%d with a file), %d progress reports with evidence; lost: %d",
				d, crashKills, len(w.reports), w.reportFiles(), len(w.progress), lost)
		})
	}
}

// freshPostgresDB creates a uniquely named database on the test server and
// drops it when the test ends (the killed server's connections are gone by then).
func freshPostgresDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv(storetest.EnvPostgres)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "luoshi_crash_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// seedCrash creates the units (under parent, if given) and two people, hand (handler of the
// province) and off (officer of the court, responsible for the items), and
// returns their API tokens.
func seedCrash(t *testing.T, url string, parent ...string) map[string]string {
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
	top := org.UnitInput{Code: "p", Name: "省委政法委", Kind: "province"}
	if len(parent) > 0 { // under the top unit a first start created
		top.ParentCode = parent[0]
	}
	for _, u := range []org.UnitInput{top, {Code: "court", Name: "某法院", Kind: "organ", ParentCode: "p"}} {
		if _, err := org.CreateUnit(ctx, db, sys, u); err != nil {
			t.Fatal(err)
		}
	}
	tokens := map[string]string{}
	for _, u := range []org.UserInput{
		{Username: "hand", Name: "承办人", UnitCode: "p", Roles: []org.RoleGrant{{Role: "handler"}}},
		{Username: "off", Name: "责任人", UnitCode: "court", Roles: []org.RoleGrant{{Role: "officer"}}},
	} {
		u.Password = "crash-test-2026"
		if _, err := org.CreateUser(ctx, db, sys, u); err != nil {
			t.Fatal(err)
		}
		secret, _, err := auth.CreateToken(ctx, db, nil, u.Username, "crash")
		if err != nil {
			t.Fatal(err)
		}
		tokens[u.Username] = secret
	}
	return tokens
}

// createProblems records n ledger items at the court, off responsible.
func createProblems(t *testing.T, base string, tokens map[string]string, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		body := fmt.Sprintf(`{"title":"崩溃测试问题%d","description":"执行案件超审限","source":"inspection","class":"deadline",`+
			`"unit_code":"court","responsible":"off","measures":"逐案清理","deadline":"%s"}`, i, time.Now().AddDate(0, 6, 0).Format("2006-01-02"))
		req, _ := http.NewRequest("POST", base+"/api/v1/problems", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokens["hand"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ ID int64 }
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || json.Unmarshal(b, &v) != nil {
			t.Fatalf("create problem: %d %s", res.StatusCode, b)
		}
		ids = append(ids, v.ID)
	}
	return ids
}

type reportAck struct {
	receipt, key, subject string
	file                  string // the file's name; "" without one
	sum                   [32]byte
}

type progressAck struct {
	problem int64
	note    string
	file    string
	sum     [32]byte
}

// crashWork is every acknowledged request across the rounds.
type crashWork struct {
	mu       sync.Mutex
	problems []int64
	reports  []reportAck
	progress []progressAck
	percent  map[int64]int // the highest percentage sent per item (it never goes down)
}

func (w *crashWork) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.reports) + len(w.progress)
}

func (w *crashWork) reportFiles() int {
	n := 0
	for _, r := range w.reports {
		if r.file != "" {
			n++
		}
	}
	return n
}

// randomText is a file's content: random, so equal hashes prove equal bytes.
func randomText() []byte {
	var b [96]byte
	rand.Read(b[:])
	return []byte("证据 " + hex.EncodeToString(b[:]) + "\n")
}

func multipartBody(fields map[string]string, fileField, fileName string, data []byte) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile(fileField, fileName)
		fw.Write(data)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// driveUntilKilled drives the server and SIGKILLs it the given time after
// the round's first acknowledgements.
func (w *crashWork) driveUntilKilled(t *testing.T, s *server, tokens map[string]string, after time.Duration) {
	acked, stop := w.drive(t, s.base, tokens)
	// the kill point: a random moment after the first few acknowledgements
	// (on a busy machine the first commit can take a while)
	for start := time.Now(); time.Since(start) < 30*time.Second && acked.Load() < 3; time.Sleep(20 * time.Millisecond) {
	}
	time.Sleep(after)
	s.cmd.Process.Signal(os.Kill)
	<-s.done
	stop()
}

// drive sends public reports from 6 clients and progress reports from one
// client per item until stop is called (stop waits for the clients); acked
// counts the acknowledgements so far.
func (w *crashWork) drive(t *testing.T, base string, tokens map[string]string) (acked *atomic.Int64, stop func()) {
	var wg sync.WaitGroup
	acked = new(atomic.Int64)
	done := make(chan struct{})
	stopped := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for c := range 6 {
		wg.Go(func() {
			for i := 0; !stopped(); i++ {
				subject := fmt.Sprintf("崩溃测试 %d-%d-%d", c, i, mrand.Int())
				rep := fmt.Sprintf(`{"category":"work","unit_code":"court","subject":%q,"content":"内容%s","reporter":{"name":"测试人","phone":"13800000000"}}`,
					subject, strings.Repeat("字", 50))
				a := reportAck{subject: subject}
				var res *http.Response
				var err error
				if i%2 == 0 {
					res, err = client.Post(base+"/api/v1/public/reports", "application/json", strings.NewReader(rep))
				} else {
					data := randomText()
					a.file, a.sum = fmt.Sprintf("证据-%d-%d.txt", c, i), sha256.Sum256(data)
					ct, body := multipartBody(map[string]string{"report": rep}, "evidence", a.file, data)
					res, err = client.Post(base+"/api/v1/public/reports", ct, body)
				}
				if err != nil {
					continue // the server is gone: this one was never acknowledged
				}
				var rc struct{ Receipt, Key string }
				err = json.NewDecoder(res.Body).Decode(&rc)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated && err == nil {
					a.receipt, a.key = rc.Receipt, rc.Key
					w.mu.Lock()
					w.reports = append(w.reports, a)
					w.mu.Unlock()
					acked.Add(1)
				}
			}
		})
	}
	w.mu.Lock()
	if w.percent == nil {
		w.percent = map[int64]int{}
	}
	w.mu.Unlock()
	for _, id := range w.problems {
		wg.Go(func() {
			for i := 0; !stopped(); i++ {
				w.mu.Lock()
				pct := min(w.percent[id]+1, 99)
				w.percent[id] = pct // sent: a later one must not be lower, acknowledged or not
				w.mu.Unlock()
				data := randomText()
				a := progressAck{problem: id, note: fmt.Sprintf("进展 %d-%d-%d", id, i, mrand.Int()), file: fmt.Sprintf("佐证-%d-%d.txt", id, i), sum: sha256.Sum256(data)}
				ct, body := multipartBody(map[string]string{"note": a.note, "percent": fmt.Sprint(pct)}, "evidence", a.file, data)
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/problems/%d/progress", base, id), body)
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Authorization", "Bearer "+tokens["off"])
				res, err := client.Do(req)
				if err != nil {
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					w.mu.Lock()
					w.progress = append(w.progress, a)
					w.mu.Unlock()
					acked.Add(1)
				} else if res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("progress report refused: %d %s", res.StatusCode, b)
				}
			}
		})
	}
	return acked, func() { close(done); wg.Wait() }
}

// check looks every acknowledged request up on the restarted server and
// returns how many are missing or damaged.
func (w *crashWork) check(t *testing.T, base string, tokens map[string]string) (lost int) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(path, ctype string, body io.Reader) (int, []byte) {
		res, err := client.Post(base+path, ctype, body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, b
	}
	for _, a := range w.reports {
		body, _ := json.Marshal(map[string]string{"receipt": a.receipt, "key": a.key})
		st, b := post("/api/v1/public/reports/lookup", "application/json", bytes.NewReader(body))
		var v struct {
			Subject  string
			Timeline []struct {
				Files []struct {
					ID   int64
					Name string
				}
			}
		}
		json.Unmarshal(b, &v)
		if st != 200 || v.Subject != a.subject {
			t.Errorf("acknowledged report %s: %d %q, want %q", a.receipt, st, v.Subject, a.subject)
			lost++
			continue
		}
		if a.file == "" {
			continue
		}
		var fid int64
		for _, e := range v.Timeline {
			for _, f := range e.Files {
				if f.Name == a.file {
					fid = f.ID
				}
			}
		}
		form := url.Values{"receipt": {a.receipt}, "key": {a.key}, "file": {fmt.Sprint(fid)}}
		st, data := post("/report/file", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if fid == 0 || st != 200 || sha256.Sum256(data) != a.sum {
			t.Errorf("acknowledged report %s: its file %s (id %d) is missing or changed (%d, %d bytes)", a.receipt, a.file, fid, st, len(data))
			lost++
		}
	}
	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens["off"])
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, b
	}
	type evidence struct{ Name, URL string }
	onTimeline := map[string][]evidence{} // note → evidence
	for _, id := range w.problems {
		st, b := get(fmt.Sprintf("/api/v1/problems/%d/events", id))
		var v struct {
			Items []struct {
				Kind, Note string
				Evidence   []evidence
			}
		}
		if st != 200 || json.Unmarshal(b, &v) != nil {
			t.Fatalf("events of %d: %d %s", id, st, b)
		}
		for _, e := range v.Items {
			if e.Kind == "progress" {
				onTimeline[e.Note] = e.Evidence
			}
		}
	}
	for _, a := range w.progress {
		ev, ok := onTimeline[a.note]
		if !ok || len(ev) != 1 || ev[0].Name != a.file {
			t.Errorf("acknowledged progress report %q on item %d: missing or without its evidence (%v)", a.note, a.problem, ev)
			lost++
			continue
		}
		st, data := get(strings.TrimPrefix(ev[0].URL, base))
		if st != 200 || sha256.Sum256(data) != a.sum {
			t.Errorf("acknowledged progress report %q: evidence %s changed (%d, %d bytes)", a.note, ev[0].URL, st, len(data))
			lost++
		}
	}
	return lost
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
