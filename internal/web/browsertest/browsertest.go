// Package browsertest drives headless Chromium from Go tests with chromedp.
//
// New starts a fresh browser for one test and stops it when the test ends.
// The browser records every JavaScript error (uncaught exceptions,
// console.error, browser-reported errors such as a CSP violation or a failed
// sub-resource) and the URL of every request the page makes. When the test
// ends, New's clean-up fails the test for any JavaScript error, and for any
// request to a host that the test did not navigate to, so a page that pulls a
// script from a CDN or leaks data to a third party fails every browser test.
//
// The browser binary comes from LUOSHI_CHROMIUM, else /usr/bin/chromium, else
// "chromium" in PATH. Without one the test is skipped, except under CI=true,
// where it fails.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the variable that points at the Chromium (or Chrome) binary.
const EnvChromium = "LUOSHI_CHROMIUM"

// Timeout bounds one test's whole use of the browser: when it passes, the
// browser is stopped and every later step fails, so a hung page cannot hang
// the test run. A nearer deadline of `go test -timeout` wins.
var Timeout = 180 * time.Second

// StepTimeout bounds one step (a navigation, a query, a form submission), so a
// missing element fails fast with its selector named.
var StepTimeout = 45 * time.Second

// Browser is one headless Chromium with one tab, owned by one test.
type Browser struct {
	// Ctx is the chromedp context of the tab. It ends at the test's deadline
	// (see Timeout). Use it with chromedp.Run and chromedp.Do for anything the
	// helpers below do not cover.
	Ctx context.Context

	t testing.TB

	mu        sync.Mutex
	jsErrors  []string
	requests  []string
	docReqs   map[network.RequestID]bool // requests that load a page (their status is the page's business)
	hosts     map[string]bool            // hosts the test navigated to
	navigated bool
}

// Path returns the browser binary to use, or "" when there is none.
// A LUOSHI_CHROMIUM that names a missing file is returned as it is, so the
// start fails loudly rather than silently using another browser.
func Path() string {
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// New starts a headless Chromium for t, with a fresh profile, and stops it
// when t ends. Without a browser it skips t, or fails it when CI=true.
func New(t testing.TB) *Browser {
	t.Helper()
	bin := Path()
	if bin == "" {
		msg := "browser tests need Chromium: install it (apt-get install chromium fonts-noto-cjk) or set " + EnvChromium
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: browser tests must run)")
		}
		t.Skip(msg)
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("browser %q (from %s or the default) cannot be run: %v", bin, EnvChromium, err)
	}

	b := &Browser{t: t, docReqs: map[network.RequestID]bool{}, hosts: map[string]bool{}}
	// chromedp's defaults (headless, no first run, no background networking,
	// no sync, no dev-shm, no extensions, …), then ours; a flag set again wins.
	// No UserDataDir: chromedp then creates a fresh temporary profile for this
	// browser and removes it after the browser exits.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.WindowSize(1280, 900),
	)
	var ended atomic.Bool
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	tabCtx, tabCancel := chromedp.NewContext(allocCtx,
		chromedp.WithListener(b.listen),
		chromedp.WithLogf(func(string, ...any) {}),
		chromedp.WithErrorf(func(f string, a ...any) {
			if !ended.Load() { // t.Logf after the test ends panics
				t.Logf("chromedp: "+f, a...)
			}
		}),
	)
	timeout := Timeout
	if dl, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dl.Deadline(); ok {
			if left := time.Until(d) - 5*time.Second; left < timeout {
				timeout = max(left, time.Second)
			}
		}
	}
	// The first Do starts the browser and ties its life to this context, so
	// the browser dies at the deadline and nothing can hang past it.
	ctx, ctxCancel := context.WithTimeout(tabCtx, timeout)
	b.Ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			b.logState()
		}
		ctxCancel()
		tabCancel()
		allocCancel()
		ended.Store(true)
		b.checkAtEnd()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return b
}

// listen runs on the tab's event loop, in the order Chrome sends the events.
func (b *Browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		b.jsErrors = append(b.jsErrors, "exception: "+exceptionText(ev.ExceptionDetails))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			b.jsErrors = append(b.jsErrors, "console."+string(ev.Type)+": "+argsText(ev.Args))
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		// A page answered with 4xx (a refused login, a duplicate) is a
		// page, not an error; a failed script, style sheet or image is.
		// Nor is a missing /favicon.ico, which the browser asks for on its own.
		if e.Source == log.EntrySourceNetwork && (b.docReqs[e.NetworkRequestID] || isFavicon(e.URL)) {
			return
		}
		msg := string(e.Source) + ": " + e.Text
		if e.URL != "" {
			msg += " (" + e.URL + ")"
		}
		b.jsErrors = append(b.jsErrors, msg)
	case *network.EventRequestWillBeSent:
		if ev.Type == network.ResourceTypeDocument {
			b.docReqs[ev.RequestID] = true
		}
		b.requests = append(b.requests, ev.Request.URL)
	case *network.EventWebSocketCreated:
		b.requests = append(b.requests, ev.URL)
	}
}

func isFavicon(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Path == "/favicon.ico"
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description // with the stack
	} else if d.URL != "" {
		s += fmt.Sprintf(" at %s:%d:%d", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
	return s
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// JSErrors returns the JavaScript errors seen so far: uncaught exceptions,
// console.error and console.assert calls, and errors the browser reported
// (CSP violations, failed sub-resources). A page's own 4xx/5xx status is not one.
func (b *Browser) JSErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.jsErrors...)
}

// Requests returns the URL of every request the page made so far, in order,
// including data: URLs and the requests htmx makes.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// OffHost returns the requests that went to a network host other than
// base's (a URL such as httptest.Server.URL). data:, blob: and about: URLs
// stay inside the browser and are not counted.
func (b *Browser) OffHost(base string) []string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		b.t.Fatalf("OffHost: %q is not an absolute URL", base)
	}
	return offHost(b.Requests(), map[string]bool{u.Host: true})
}

func offHost(reqs []string, hosts map[string]bool) []string {
	var out []string
	for _, r := range reqs {
		u, err := url.Parse(r)
		if err != nil {
			out = append(out, r)
			continue
		}
		switch u.Scheme {
		case "data", "blob", "about":
			continue
		}
		if !hosts[u.Host] {
			out = append(out, r)
		}
	}
	return out
}

// checkAtEnd fails the test for JavaScript errors, and for requests to hosts
// the test never navigated to.
func (b *Browser) checkAtEnd() {
	b.t.Helper()
	for _, e := range b.JSErrors() {
		b.t.Errorf("browser: JavaScript error: %s", e)
	}
	b.mu.Lock()
	navigated, hosts := b.navigated, b.hosts
	b.mu.Unlock()
	if navigated {
		for _, r := range offHost(b.Requests(), hosts) {
			b.t.Errorf("browser: request left the test server: %s", r)
		}
	}
}

// logState logs where the page is and what it shows, for a failed test.
func (b *Browser) logState() {
	ctx, cancel := context.WithTimeout(b.Ctx, 3*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if r := []rune(text); len(r) > 1500 {
		text = string(r[:1500]) + "…"
	}
	b.t.Logf("browser is at %s, showing:\n%s", loc, text)
}

// step runs fn with StepTimeout and fails the test on an error, naming what.
func (b *Browser) step(what string, fn func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, StepTimeout)
	defer cancel()
	if err := fn(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			if b.Ctx.Err() != nil {
				err = fmt.Errorf("the browser test ran out of time (%v): %w", Timeout, err)
			} else {
				err = fmt.Errorf("gave up after %v: %w", StepTimeout, err)
			}
		}
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Navigate loads rawURL, waits for the page to load and returns its HTTP
// status. The URL's host becomes one the page may make requests to.
func (b *Browser) Navigate(rawURL string) int {
	b.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		b.t.Fatalf("Navigate: %q is not an absolute URL", rawURL)
	}
	b.mu.Lock()
	b.hosts[u.Host] = true
	b.navigated = true
	b.mu.Unlock()
	var status int
	b.step("navigate to "+rawURL, func(ctx context.Context) error {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(rawURL))
		if err == nil && resp != nil {
			status = int(resp.Status)
		}
		return err
	})
	return status
}

// Fill sets the fields of the form that sel matches, by name, as a person
// would leave them: text fields, text areas and selects get the value (a name
// given several values fills the same-named fields in order); checkboxes and
// radio buttons are checked when their value is among the values ("on" checks
// a checkbox without a value attribute). Each changed field gets an input and
// a change event, so scripts such as htmx see the change. A missing field or
// an option a select does not have fails the test.
func (b *Browser) Fill(sel string, fields url.Values) {
	b.t.Helper()
	selJS, _ := json.Marshal(sel)
	fieldsJS, _ := json.Marshal(fields)
	b.step("fill "+sel, func(ctx context.Context) error {
		if _, err := chromedp.Run(ctx, chromedp.WaitReady(chromedp.CSS(sel))); err != nil {
			return err
		}
		msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(fillJS, selJS, fieldsJS)))
		if err == nil && msg != "" {
			err = errors.New(msg)
		}
		return err
	})
}

const fillJS = `((sel, fields) => {
  const form = document.querySelector(sel);
  if (!form) return "nothing matches " + sel;
  for (const [name, values] of Object.entries(fields)) {
    const els = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    if (els.length === 0) return sel + " has no field named " + name;
    let i = 0;
    for (const el of els) {
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.includes(el.value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        for (const o of el.options) o.selected = values.includes(o.value);
      } else {
        if (i >= values.length) continue;
        el.value = values[i++];
        if (el.value !== values[i-1]) return "field " + name + " of " + sel + " does not take the value " + JSON.stringify(values[i-1]);
      }
      el.dispatchEvent(new Event("input", {bubbles: true}));
      el.dispatchEvent(new Event("change", {bubbles: true}));
    }
  }
  return "";
})(%s, %s)`

// Submit fills the form that sel matches (see Fill), clicks its submit
// button, waits for the page that answers and returns that page's HTTP status
// (after redirects). It is for forms that load a new page; for a form that
// htmx submits in place, use Fill, Click and then wait for the result.
func (b *Browser) Submit(sel string, fields url.Values) int {
	b.t.Helper()
	if len(fields) > 0 {
		b.Fill(sel, fields)
	}
	return b.ClickAndWait(sel + ` [type="submit"]`)
}

// ClickAndWait clicks the element that sel matches (a link, a submit button),
// waits for the page it leads to and returns that page's HTTP status.
func (b *Browser) ClickAndWait(sel string) int {
	b.t.Helper()
	var status int
	b.step("click "+sel+" and wait for the next page", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
		if err == nil && resp != nil {
			status = int(resp.Status)
		}
		return err
	})
	return status
}

// Type types text into the element that sel matches, key by key, as a
// person would (each key fires its keyboard and input events). It appends to
// what the field holds; Fill sets a value outright.
func (b *Browser) Type(sel, text string) {
	b.t.Helper()
	b.step("type into "+sel, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(sel), text))
	})
}

// Click clicks the element that sel matches once it is visible, and does not
// wait for anything after it.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	b.step("click "+sel, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
	})
}

// Text returns the visible text (innerText) of the first element that sel
// matches, trimmed, waiting up to StepTimeout for the element to exist.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	var s string
	b.step("read the text of "+sel, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		return err
	})
	return strings.TrimSpace(s)
}

// Attr returns an attribute of the first element that sel matches, and
// whether the element has it.
func (b *Browser) Attr(sel, name string) (string, bool) {
	b.t.Helper()
	var r chromedp.AttributeResult
	b.step("read the attribute "+name+" of "+sel, func(ctx context.Context) (err error) {
		r, err = chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
		return err
	})
	return r.Value, r.Exists
}

// Visible waits until the element that sel matches is visible.
func (b *Browser) Visible(sel string) {
	b.t.Helper()
	b.step("wait until "+sel+" is visible", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)))
	})
}

// Count returns how many elements sel matches now, without waiting.
func (b *Browser) Count(sel string) int {
	b.t.Helper()
	selJS, _ := json.Marshal(sel)
	return Eval[int](b, fmt.Sprintf(`document.querySelectorAll(%s).length`, selJS))
}

// URL returns the address of the page the tab shows.
func (b *Browser) URL() string {
	b.t.Helper()
	var s string
	b.step("read the location", func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Location())
		return err
	})
	return s
}

// SetViewport sets the viewport to width × height CSS pixels. Pass
// chromedp.EmulateMobile to honour <meta name="viewport"> as a phone does,
// and chromedp.EmulateTouch for touch events.
func (b *Browser) SetViewport(width, height int, opts ...chromedp.EmulateViewportOption) {
	b.t.Helper()
	b.step(fmt.Sprintf("set the viewport to %d×%d", width, height), func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height), opts...))
	})
}

// Cookie returns the value of the named cookie for the page's URL, or "".
// It sees HttpOnly cookies too.
func (b *Browser) Cookie(name string) string {
	b.t.Helper()
	var v string
	b.step("read the cookie "+name, func(ctx context.Context) error {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			if c.Name == name {
				v = c.Value
			}
		}
		return nil
	})
	return v
}

// Eval evaluates a JavaScript expression in the page and decodes its result
// into T (with json tags for an object). A promise is awaited.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	var v T
	b.step("evaluate "+expr, func(ctx context.Context) (err error) {
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
		return err
	})
	return v
}
