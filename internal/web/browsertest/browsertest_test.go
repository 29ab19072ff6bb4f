package browsertest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestRecorder checks that the browser really reports what the end-of-test
// checks rely on: JavaScript errors, CSP violations, failed sub-resources and
// requests to other hosts, while a page's own error status is not reported.
func TestRecorder(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "script-src 'self' 'nonce-n1'")
		w.Write([]byte(`<!DOCTYPE html><html lang="en"><head><title>t</title>
<script src="/missing.js"></script></head><body>
<h1 id="h"> Hello </h1>
<img src="http://elsewhere.invalid/pixel.png" alt="">
<script nonce="n1">console.error("boom", 42); setTimeout(() => { throw new Error("kaput"); }, 0);</script>
<script>document.title = "the CSP lets this run";</script>
</body></html>`))
	})
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><html><body><form id="f" method="post" action="/form">
<input name="name"><select name="kind"><option value="a">A</option><option value="b">B</option></select>
<input type="checkbox" name="role" value="x"><input type="checkbox" name="role" value="y">
<button type="submit">go</button></form></body></html>`))
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte(r.PostForm.Encode()))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := New(t)
	if st := b.Navigate(srv.URL + "/"); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	if got := b.Text("#h"); got != "Hello" {
		t.Errorf("text %q", got)
	}
	// the exception comes from a timer: wait for it
	Eval[bool](b, `new Promise(r => setTimeout(() => r(true), 50))`)

	errs := strings.Join(b.JSErrors(), "\n")
	for _, want := range []string{"console.error: boom 42", "kaput", "/missing.js", "Content Security Policy"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors lack %q:\n%s", want, errs)
		}
	}
	if off := b.OffHost(srv.URL); !slices.Contains(off, "http://elsewhere.invalid/pixel.png") {
		t.Errorf("off-host requests %v", off)
	}

	// Fill and Submit; a page's own 4xx status is no error
	b.mu.Lock()
	b.jsErrors, b.requests = nil, nil // what was seen above must not fail this test at its end
	b.mu.Unlock()
	b.Navigate(srv.URL + "/form")
	st := b.Submit("#f", url.Values{"name": {"Ann Lee"}, "kind": {"b"}, "role": {"y"}})
	if st != http.StatusTeapot {
		t.Errorf("submit: status %d", st)
	}
	if got := b.Text("body"); got != "kind=b&name=Ann+Lee&role=y" {
		t.Errorf("posted %q", got)
	}
	if errs := b.JSErrors(); len(errs) > 0 {
		t.Errorf("errors after a 418 page: %v", errs)
	}
}
