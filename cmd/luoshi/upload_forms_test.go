package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// alertRe finds the error box a refused form shows.
var alertRe = regexp.MustCompile(`<div class="alert-error" role="alert">([^<]*)</div>`)

// filesUnder lists the regular files under dir ("" when it does not exist).
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHostileUploadsThroughForms sends each hostile file (hostileFiles)
// through the web forms a browser uses, against the running binary: the
// public reporting form (/report) and the ledger's progress form
// (/problems/{id}/progress, signed in with a session cookie), and the
// reporter's follow-up form (/report/followup, with receipt and key). Each is
// refused with a 4xx page whose error box says what is wrong in Chinese,
// and nothing is stored half-way: no attachment, evidence, report, report
// file or progress row, no new file in the attachments folder, and no
// temporary file left behind by the multipart parser (the server's TMPDIR
// is a folder of the test's own). A name with a path may be accepted, but
// is then stored as the file's own name.
func TestHostileUploadsThroughForms(t *testing.T) {
	bin := buildLuoshi(t)
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			tmp := filepath.Join(t.TempDir(), "server-tmp")
			if err := os.Mkdir(tmp, 0o700); err != nil {
				t.Fatal(err)
			}
			t.Setenv("TMPDIR", tmp) // the server's multipart spill files land here
			flags := []string{"--data", dir}
			dbURL := filepath.Join(dir, "luoshi.db")
			if d == store.Postgres {
				dbURL = freshPostgresDB(t)
				flags = append(flags, "--db", dbURL)
			}
			tokens := seedCrash(t, dbURL)
			srv := startServer(t, bin, flags)
			defer srv.stop()
			problem := createProblems(t, srv.base, tokens, 1)[0]
			db, err := store.Open(t.Context(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			count := func() (n int) {
				if err := db.Read.QueryRowContext(t.Context(), `SELECT (SELECT COUNT(*) FROM attachments) + (SELECT COUNT(*) FROM problem_evidence)
					+ (SELECT COUNT(*) FROM report_files) + (SELECT COUNT(*) FROM reports)
					+ (SELECT COUNT(*) FROM problem_events WHERE kind = 'progress') + (SELECT COUNT(*) FROM report_events)`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}

			// the responsible officer signs in as a browser does
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, Timeout: 2 * time.Minute,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := browser.PostForm(srv.base+"/login", url.Values{"username": {"off"}, "password": {"crash-test-2026"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in: %d", res.StatusCode)
			}
			send := func(path string, fields map[string]string, h hostileFile) (int, string) {
				ct, body := multipartBody(fields, "evidence", h.name, h.data)
				req, _ := http.NewRequest("POST", srv.base+path, body)
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Accept-Language", "zh-CN")
				res, err := browser.Do(req)
				if err != nil {
					t.Fatalf("%s via %s: %v", h.what, path, err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				return res.StatusCode, string(b)
			}
			// chineseAlert is the error box's text when it holds Chinese
			chineseAlert := func(page string) string {
				m := alertRe.FindStringSubmatch(page)
				if m == nil {
					return ""
				}
				msg := html.UnescapeString(m[1])
				for _, r := range msg {
					if unicode.Is(unicode.Han, r) {
						return msg
					}
				}
				return ""
			}
			report := map[string]string{"category": "work", "unit_code": "court", "subject": "恶意上传测试",
				"content": "内容内容内容内容内容内容内容内容内容内容", "identity": "anonymous"}
			// a report to follow up, as its reporter does with the receipt and key
			ct, body := multipartBody(map[string]string{"report": `{"category":"work","unit_code":"court","subject":"追加材料测试",` +
				`"content":"内容内容内容内容内容内容内容内容内容内容"}`}, "", "", nil)
			res, err = http.Post(srv.base+"/api/v1/public/reports", ct, body)
			if err != nil {
				t.Fatal(err)
			}
			var rc struct{ Receipt, Key string }
			err = json.NewDecoder(res.Body).Decode(&rc)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("report to follow up: %d %v", res.StatusCode, err)
			}
			followup := map[string]string{"receipt": rc.Receipt, "key": rc.Key, "message": "补充材料"}
			attachDir := filepath.Join(dir, "attachments")
			for i, h := range hostileFiles(t) {
				for _, form := range []string{"progress", "report", "followup"} {
					before, files := count(), len(filesUnder(t, attachDir))
					var st int
					var page string
					if form == "progress" {
						st, page = send(fmt.Sprintf("/problems/%d/progress", problem),
							map[string]string{"note": fmt.Sprintf("恶意上传 %d", i), "percent": "10"}, h)
					} else if form == "report" {
						st, page = send("/report", report, h)
					} else {
						st, page = send("/report/followup", followup, h)
					}
					if left := filesUnder(t, tmp); len(left) > 0 {
						t.Errorf("%s via %s: temporary files left behind: %v", h.what, form, left)
					}
					if h.sanitized && st < 400 {
						if form == "progress" {
							var name string
							db.Read.QueryRowContext(t.Context(), `SELECT name FROM attachments ORDER BY id DESC LIMIT 1`).Scan(&name)
							if strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
								t.Errorf("%s via %s: stored as %q", h.what, form, name)
							}
						}
						continue
					}
					msg := chineseAlert(page)
					if st < 400 || st >= 500 || msg == "" {
						t.Errorf("%s via %s: %d, error box %q; want a 4xx page whose error box is in Chinese\n%.300s", h.what, form, st, msg, page)
					} else {
						t.Logf("%s via %s: %d %s", h.what, form, st, msg)
					}
					if n := count(); n != before {
						t.Errorf("%s via %s: %d rows stored", h.what, form, n-before)
					}
					if n := len(filesUnder(t, attachDir)); n != files {
						t.Errorf("%s via %s: %d files written to the attachments folder", h.what, form, n-files)
					}
				}
			}
			// the forms still work: a plain photo is taken by both
			ok := hostileFile{what: "a plain photo", name: "照片.jpg", data: smallJPEG(t)}
			if st, page := send(fmt.Sprintf("/problems/%d/progress", problem), map[string]string{"note": "正常进展", "percent": "20"}, ok); st != http.StatusSeeOther {
				t.Errorf("plain progress: %d %.300s", st, page)
			}
			if st, page := send("/report", report, ok); st != http.StatusCreated {
				t.Errorf("plain report: %d %.300s", st, page)
			}
			if st, page := send("/report/followup", followup, ok); st != http.StatusOK || alertRe.MatchString(page) {
				t.Errorf("plain follow-up: %d %.300s", st, page)
			}
		})
	}
}
