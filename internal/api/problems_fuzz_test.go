package api

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/i18n"
)

func FuzzDecodeProblemCreate(f *testing.F) {
	fuzzDecode[problemCreateRequest](f,
		`{"title":"执行案件超期未结","source":"inspection","class":"deadline","unit_code":"c","responsible":"off","measures":"逐案清理","deadline":"2026-11-30","tags":["有案不立、压案不查、有罪不究"]}`,
		`{"title":"x","draft":true,"tags":[]}`, `{"tags":[1]}`, `{"draft":"yes"}`, `{"Title":"x"}`, `{"deadline":"2026年3月1日","deadline":"下月底"}`)
}

func FuzzDecodeProgress(f *testing.F) {
	fuzzDecode[progressRequest](f, `{"note":"已清理 6 件","percent":50}`, `{"note":"x","percent":null}`,
		`{"percent":50.5}`, `{"percent":"50"}`, `{"note":"x","evidence":[]}`, `{"percent":99999999999999999999}`)
}

func TestFormInto(t *testing.T) {
	form := &multipart.Form{Value: map[string][]string{"note": {"已清理"}, "percent": {" 50 "}},
		File: map[string][]*multipart.FileHeader{"evidence": {{Filename: "a.png"}}}}
	var v progressRequest
	if err := formInto(&v, form, []string{"evidence"}); err != nil || v.Note != "已清理" || v.Percent == nil || *v.Percent != 50 {
		t.Fatalf("%+v %v", v, err)
	}
	for _, c := range []struct {
		values      map[string][]string
		files       []string
		code, field string
	}{
		{map[string][]string{"percent": {"half"}}, nil, "invalid", "percent"},
		{map[string][]string{"note": {"a", "b"}}, nil, "duplicate_field", "note"},
		{map[string][]string{"Note": {"a"}}, nil, "unknown_field", "Note"},
		{map[string][]string{"evidence": {"a.png"}}, nil, "invalid", "evidence"},
		{nil, []string{"note"}, "invalid", "note"},
		{nil, []string{"photo"}, "unknown_field", "photo"},
	} {
		form := &multipart.Form{Value: c.values, File: map[string][]*multipart.FileHeader{}}
		for _, name := range c.files {
			form.File[name] = []*multipart.FileHeader{{Filename: "a.png"}}
		}
		var v progressRequest
		e := apperr.As(formInto(&v, form, []string{"evidence"}))
		if e == nil || e.Code != c.code || e.Field != c.field {
			t.Errorf("%v %v: %v, want %s/%s", c.values, c.files, e, c.code, c.field)
			continue
		}
		if msg := message(i18n.ZH, e); strings.HasPrefix(msg, "err.") || strings.Contains(msg, "%!") {
			t.Errorf("untranslated: %q", msg)
		}
	}
	var b verifyRequest
	if err := formInto(&b, &multipart.Form{Value: map[string][]string{"approve": {"true"}}}, nil); err != nil || b.Approve == nil || !*b.Approve {
		t.Fatalf("bool: %+v %v", b, err)
	}
}

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"整改照片.png":     `attachment; filename="____.png"; filename*=UTF-8''%E6%95%B4%E6%94%B9%E7%85%A7%E7%89%87.png`,
		`a "b"\c%.pdf`: `attachment; filename="a _b__c_.pdf"; filename*=UTF-8''a%20%22b%22%5Cc%25.pdf`,
		"x\r\ny.txt":   `attachment; filename="x__y.txt"; filename*=UTF-8''x%0D%0Ay.txt`,
	} {
		if got := contentDisposition(name); got != want {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
	}
}

// FuzzReadProgressForm feeds arbitrary multipart bodies through the form
// reader: it never panics, refuses only with a client error, and what it
// accepts has the fields it was sent.
func FuzzReadProgressForm(f *testing.F) {
	body, ct := func() ([]byte, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.SetBoundary("XyZ")
		w.WriteField("note", "已清理 6 件")
		w.WriteField("percent", "50")
		fw, _ := w.CreateFormFile("evidence", "a.png")
		fw.Write([]byte("\x89PNG\r\n\x1a\n"))
		w.Close()
		return b.Bytes(), w.FormDataContentType()
	}()
	f.Add(body)
	f.Add([]byte("--XyZ\r\nContent-Disposition: form-data; name=\"percent\"\r\n\r\nx\r\n--XyZ--\r\n"))
	f.Add([]byte("--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\na\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nb\r\n--XyZ--\r\n"))
	f.Add([]byte("--XyZ\r\n\r\n--XyZ--"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := httptest.NewRequest("POST", "/api/v1/problems/1/progress", bytes.NewReader(data))
		r.Header.Set("Content-Type", ct)
		v, files, err := readForm[progressRequest](httptest.NewRecorder(), r, 1<<20, "evidence")
		if err != nil {
			e := apperr.As(err)
			if e == nil || statusOf(e) >= 500 {
				t.Fatalf("refused with %v", err)
			}
			if msg := message(i18n.ZH, e); msg == "" || strings.HasPrefix(msg, "err.") {
				t.Fatalf("untranslated: %q", msg)
			}
			return
		}
		defer files.close()
		if v.Percent != nil && len(r.MultipartForm.Value["percent"]) != 1 {
			t.Fatalf("percent set from %v", r.MultipartForm.Value)
		}
		ups, err := files.uploads("evidence")
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("uploads: %v", err)
			}
			return
		}
		if len(ups) != len(r.MultipartForm.File["evidence"]) {
			t.Fatalf("%d uploads of %d", len(ups), len(r.MultipartForm.File["evidence"]))
		}
	})
}
