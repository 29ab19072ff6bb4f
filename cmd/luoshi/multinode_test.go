package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestTwoNodesOnOnePostgres starts two `luoshi serve` processes at the same
// moment on one empty PostgreSQL database (they migrate and set up the first
// admin together), as behind a load balancer: a session made on one node is
// valid on the other, a sign-out on either ends it on both, and each
// scheduled job due at start runs exactly once across the two nodes.
func TestTwoNodesOnOnePostgres(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) { // in CI a missing PostgreSQL fails here
		t.Skipf("needs PostgreSQL: set %s", storetest.EnvPostgres)
	}
	bin := buildLuoshi(t)
	dbURL := freshPostgresDB(t)
	flags := []string{"--data", t.TempDir(), "--db", dbURL}
	var nodes [2]*server
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i] = startServer(t, bin, flags) })
	}
	wg.Wait()
	for _, n := range nodes {
		if n == nil {
			t.FailNow()
		}
		defer n.stop()
	}
	seedCrash(t, dbURL, "root") // units and the people hand and off, written directly

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := browser.PostForm(nodes[0].base+"/login", url.Values{"username": {"hand"}, "password": {"crash-test-2026"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on node A: %d", res.StatusCode)
	}
	a, _ := url.Parse(nodes[0].base)
	b, _ := url.Parse(nodes[1].base)
	var session string
	for _, c := range jar.Cookies(a) {
		if c.Name == "luoshi_session" {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie from node A")
	}
	// the load balancer sends the next requests to node B (in production both
	// sit behind one host name, so the browser sends the same cookie)
	jar.SetCookies(b, jar.Cookies(a))
	res, err = browser.Get(nodes[1].base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "承办人") {
		t.Fatalf("node B does not know node A's session: %d\n%.300s", res.StatusCode, body)
	}
	res, err = browser.PostForm(nodes[1].base+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// the old cookie, replayed on node A after signing out on node B
	req, _ := http.NewRequest("GET", nodes[0].base+"/", nil)
	req.AddCookie(&http.Cookie{Name: "luoshi_session", Value: session})
	res, err = (&http.Client{CheckRedirect: browser.CheckRedirect}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("a session ended on node B still works on node A: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	// scheduled jobs: every job was due at start; across both nodes each ran
	// once (a job may still be running: wait until each has run somewhere)
	jobNames := []string{"session_cleanup", "ledger_daily", "ledger_tally", "report_timers", "notify_deliver"}
	line := regexp.MustCompile(`^luoshi_job_runs_total\{job="([^"]+)",result="[^"]+"\} (\d+)`)
	var runs map[string]int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		runs = map[string]int{}
		for _, n := range nodes {
			res, err := http.Get(n.base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if m := line.FindStringSubmatch(sc.Text()); m != nil {
					v, _ := strconv.Atoi(m[2])
					runs[m[1]] += v
				}
			}
			res.Body.Close()
		}
		done := true
		for _, job := range jobNames {
			done = done && runs[job] > 0
		}
		if done || time.Now().After(deadline) {
			break
		}
	}
	for _, job := range jobNames {
		if runs[job] != 1 {
			t.Errorf("job %s ran %d times across the two nodes, want once", job, runs[job])
		}
	}
	t.Logf("two nodes: session shared, sign-out shared; job runs across both nodes: %v", runs)
}
