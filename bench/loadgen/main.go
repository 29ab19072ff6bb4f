// Command loadgen drives a running luoshi server with signed-in, closed-loop
// workers and reports throughput and latency:
//
//	go run ./bench/loadgen --base http://127.0.0.1:PORT --users FILE --password PW \
//	    --duration 30s --concurrency 32 --mix pages|api
//
// Each worker signs in as a different bench user (a session cookie for pages, an
// API token for api), learns a few unit codes and usernames in its scope, then
// sends requests back to back until the duration or the request cap is reached.
// Only loopback hosts are accepted: this is a bench tool, not a load-testing
// service.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const sessionCookie = "luoshi_session"

type options struct {
	base        *url.URL
	users       []string
	password    string
	duration    time.Duration
	concurrency int
	maxRequests int64
	mix         string
	label       string
	unit        string // report mix
	serverPID   int    // read the server's CPU time around the timed run (0: not)
	quiet       bool   // a warm-up: no report
}

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "server URL (loopback only)")
	usersFile := flag.String("users", "", "file of bench usernames, one a line")
	pw := flag.String("password", "", "password of the bench users")
	dur := flag.Duration("duration", 30*time.Second, "how long to send requests")
	conc := flag.Int("concurrency", 32, "closed-loop workers (each a different user)")
	maxReq := flag.Int64("max-requests", 5_000_000, "stop after this many requests in all")
	mix := flag.String("mix", "pages", "pages (staff web pages, session cookie), api (JSON API, Bearer token) or report (public submissions and look-ups, no account)")
	unit := flag.String("unit", "", "report mix: the unit code the public reports name")
	label := flag.String("label", "", "first column of the Markdown row (e.g. sqlite)")
	serverPID := flag.Int("server-pid", 0, "process id of the server on this machine: report its CPU time per request over the timed run (sign-ins excluded)")
	quiet := flag.Bool("quiet", false, "print only a one-line summary (a warm-up run)")
	flag.Parse()
	o, err := check(*base, *usersFile, *pw, *dur, *conc, *maxReq, *mix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	o.label = *label
	o.unit = *unit
	o.serverPID, o.quiet = *serverPID, *quiet
	if o.mix == "report" && o.unit == "" {
		if o.unit, err = findUnit(o); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: --mix report: no --unit and", err)
			os.Exit(2)
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func check(base, usersFile, pw string, dur time.Duration, conc int, maxReq int64, mix string) (*options, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--base %q is not an http URL", base)
	}
	if !loopback(u.Hostname()) {
		return nil, fmt.Errorf("--base %q: only loopback hosts (127.0.0.1, ::1, localhost) are allowed", base)
	}
	if mix != "pages" && mix != "api" && mix != "report" {
		return nil, fmt.Errorf("--mix must be pages, api or report")
	}
	if conc < 1 || conc > 1024 || dur <= 0 || maxReq < 1 {
		return nil, fmt.Errorf("bad --concurrency, --duration or --max-requests")
	}
	if mix == "report" { // the public needs no account
		return &options{base: u, users: make([]string, conc), duration: dur, concurrency: conc, maxRequests: maxReq, mix: mix}, nil
	}
	if pw == "" {
		return nil, fmt.Errorf("--password is required")
	}
	users, err := readUsers(usersFile)
	if err != nil {
		return nil, err
	}
	if len(users) < conc {
		return nil, fmt.Errorf("%d workers need %d users, %s has %d", conc, conc, usersFile, len(users))
	}
	return &options{base: u, users: users, password: pw, duration: dur, concurrency: conc, maxRequests: maxReq, mix: mix}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func readUsers(path string) ([]string, error) {
	if path == "" {
		return nil, fmt.Errorf("--users FILE is required")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

// worker is one signed-in user.
type worker struct {
	o        *options
	client   *http.Client
	username string
	cookie   string // pages
	token    string // api
	units    []string
	people   []string
	rnd      *rand.Rand
	receipts [][2]string // report mix: acknowledged receipts and keys
	samples  []sample
	errs     map[string]int // by status ("503", "transport")
}

type sample struct {
	route string
	d     time.Duration
}

func run(o *options) error {
	tr := &http.Transport{MaxIdleConns: o.concurrency * 2, MaxIdleConnsPerHost: o.concurrency * 2, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	workers := make([]*worker, o.concurrency)
	setupStart := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, o.concurrency)
	for i := range workers {
		w := &worker{o: o, client: client, username: o.users[i], rnd: rand.New(rand.NewPCG(uint64(i), 7)), errs: map[string]int{}}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.setup(); err != nil {
				errc <- fmt.Errorf("%s: %w", w.username, err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "signed in %d users in %s; running %s mix for %s\n", o.concurrency, time.Since(setupStart).Round(time.Millisecond), o.mix, o.duration)

	var sent atomic.Int64
	cpu0 := processCPU(o.serverPID)
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && sent.Add(1) <= o.maxRequests {
				w.one()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(o.serverPID) - cpu0
	if o.quiet {
		n := 0
		for _, w := range workers {
			n += len(w.samples)
		}
		fmt.Fprintf(os.Stderr, "warm-up: %d requests in %s\n", n, elapsed.Round(time.Millisecond))
		return nil
	}
	report(o, workers, elapsed, cpu)
	return nil
}

// processCPU is the user+system CPU time of process pid so far (0 when pid
// is 0 or unreadable): /proc/PID/stat fields 14 and 15, in clock ticks of
// 1/100 s (USER_HZ is 100 on Linux).
func processCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// the command name (field 2) may hold spaces: count from after its ')'
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// setup signs the worker in and learns what it may look at.
func (w *worker) setup() error {
	if w.o.mix == "report" {
		return nil
	}
	form := url.Values{"username": {w.username}, "password": {w.o.password}}
	resp, err := w.client.PostForm(w.o.base.JoinPath("/login").String(), form)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		return fmt.Errorf("sign-in answered %d (Location %q), want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			w.cookie = c.Value
		}
	}
	if w.cookie == "" {
		return errors.New("sign-in set no session cookie")
	}
	if w.o.mix == "api" {
		var tok struct {
			Token string `json:"token"`
		}
		if err := w.json("POST", "/api/v1/tokens", []byte(`{"name":"bench"}`), &tok); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		if tok.Token == "" {
			return errors.New("token answer holds no token")
		}
		w.token = tok.Token
	}
	var units struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	if err := w.json("GET", "/api/v1/units?per_page=50", nil, &units); err != nil {
		return fmt.Errorf("list units: %w", err)
	}
	for _, u := range units.Items {
		w.units = append(w.units, u.Code)
	}
	var people struct {
		Items []struct {
			Username string `json:"username"`
		} `json:"items"`
	}
	if err := w.json("GET", "/api/v1/users?per_page=50", nil, &people); err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	for _, p := range people.Items {
		w.people = append(w.people, p.Username)
	}
	if len(w.units) == 0 || len(w.people) == 0 {
		return errors.New("the user sees no units or no people")
	}
	return nil
}

func (w *worker) request(method, path string, body []byte) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, w.o.base.String()+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	} else {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: w.cookie})
	}
	return req
}

func (w *worker) json(method, path string, body []byte, out any) error {
	resp, err := w.client.Do(w.request(method, path, body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s answered %d: %.200s", method, path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// one sends one request of the mix and records its latency.
func (w *worker) one() {
	if w.o.mix == "report" {
		w.oneReport()
		return
	}
	unit := w.units[w.rnd.IntN(len(w.units))]
	var route, path string
	if w.o.mix == "pages" {
		switch w.rnd.IntN(4) {
		case 0:
			route, path = "GET /", "/"
		case 1:
			route, path = "GET /units", "/units"
		case 2:
			route, path = "GET /units/{code}", "/units/"+url.PathEscape(unit)
		default:
			route, path = "GET /users?unit=", "/users?unit="+url.QueryEscape(unit)
		}
	} else {
		switch w.rnd.IntN(5) {
		case 0:
			route, path = "GET /api/v1/me", "/api/v1/me"
		case 1:
			route, path = "GET /api/v1/units?parent_code=", "/api/v1/units?parent_code="+url.QueryEscape(unit)
		case 2:
			route, path = "GET /api/v1/units/{code}", "/api/v1/units/"+url.PathEscape(unit)
		case 3:
			route, path = "GET /api/v1/users?unit_code=", "/api/v1/users?per_page=20&unit_code="+url.QueryEscape(unit)
		default:
			route, path = "GET /api/v1/users/{username}", "/api/v1/users/"+url.PathEscape(w.people[w.rnd.IntN(len(w.people))])
		}
	}
	t := time.Now()
	resp, err := w.client.Do(w.request("GET", path, nil))
	if err != nil {
		w.samples = append(w.samples, sample{route, time.Since(t)})
		w.errs["transport"]++
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	w.samples = append(w.samples, sample{route, time.Since(t)})
	if resp.StatusCode/100 != 2 {
		w.errs[fmt.Sprint(resp.StatusCode)]++
	}
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(p*float64(len(ds))+0.5) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func report(o *options, workers []*worker, elapsed, cpu time.Duration) {
	var all []time.Duration
	byRoute := map[string][]time.Duration{}
	errs := map[string]int{}
	nerr := 0
	for _, w := range workers {
		for _, s := range w.samples {
			all = append(all, s.d)
			byRoute[s.route] = append(byRoute[s.route], s.d)
		}
		for k, v := range w.errs {
			errs[k] += v
			nerr += v
		}
	}
	slices.Sort(all)
	rps := float64(len(all)) / elapsed.Seconds()
	fmt.Printf("mix %s, %d workers, %s: %d requests, %.0f req/s, %d errors\n", o.mix, o.concurrency, elapsed.Round(time.Millisecond), len(all), rps, nerr)
	if nerr > 0 {
		keys := make([]string, 0, len(errs))
		for k := range errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("  errors %s: %d\n", k, errs[k])
		}
	}
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  max %s\n", ms(pct(all, .50)), ms(pct(all, .90)), ms(pct(all, .99)), ms(pct(all, 1)))
	if o.serverPID > 0 && len(all) > 0 {
		fmt.Printf("server CPU over the timed run: %.1f s of %.1f s on %d cores, %.3f ms per request\n", cpu.Seconds(), elapsed.Seconds(),
			runtime.NumCPU(), float64(cpu.Microseconds())/1000/float64(len(all)))
	}
	routes := make([]string, 0, len(byRoute))
	for r := range byRoute {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		ds := byRoute[r]
		slices.Sort(ds)
		fmt.Printf("  %-32s n=%-7d p50 %-9s p99 %-9s max %s\n", r, len(ds), ms(pct(ds, .5)), ms(pct(ds, .99)), ms(pct(ds, 1)))
	}
	fmt.Println()
	fmt.Println("| engine | mix | workers | duration | requests | req/s | p50 | p90 | p99 | max | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| %s | %s | %d | %s | %d | %.0f | %s | %s | %s | %s | %d |\n", o.label, o.mix, o.concurrency, elapsed.Round(time.Second),
		len(all), rps, ms(pct(all, .5)), ms(pct(all, .9)), ms(pct(all, .99)), ms(pct(all, 1)), nerr)
}
