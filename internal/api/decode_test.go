package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/i18n"
)

func TestDecode(t *testing.T) {
	const ct = "application/json"
	in, err := decode[userCreateRequest](ct, strings.NewReader(` {"username":"a1","name":"甲","unit_code":"u","password":"p",
		"roles":[{"role":"officer","scope_code":"u"}]} `+"\n"))
	if err != nil || in.Username != "a1" || len(in.Roles) != 1 || in.Roles[0].ScopeCode != "u" {
		t.Fatalf("%+v %v", in, err)
	}
	p, err := decode[userPatchRequest](ct, strings.NewReader(`{"roles":null,"disabled":false}`))
	if err != nil || p.Roles != nil || p.Disabled == nil || *p.Disabled {
		t.Fatalf("%+v %v", p, err)
	}
	for _, c := range []struct{ ct, body, code, field string }{
		{"text/json", `{}`, codeMediaType, ""},
		{"application/json; charset=latin1", `{}`, codeMediaType, ""},
		{"", `{}`, codeMediaType, ""},
		{ct, ``, "malformed_json", ""},
		{ct, `  `, "malformed_json", ""},
		{ct, `"x"`, "malformed_json", ""},
		{ct, `{"name":"x"}x`, "malformed_json", ""},
		{ct, `{"name":"x"}{}`, "malformed_json", ""},
		{ct, `{"name":"x"`, "malformed_json", ""},
		{ct, `{"name":x}`, "malformed_json", ""},
		{ct, `{"name":1}`, "malformed_json", "name"},
		{ct, `{"nam":"x"}`, "unknown_field", "nam"},
		{ct, `{"NAME":"x"}`, "unknown_field", "NAME"},
		{ct, `{"name":"x","name":"y"}`, "duplicate_field", "name"},
		{ct, `{"name":"` + strings.Repeat("x", maxBody) + `"}`, codeTooLarge, ""},
	} {
		_, err := decode[tokenCreateRequest](c.ct, strings.NewReader(c.body))
		e := apperr.As(err)
		if e == nil || e.Code != c.code || e.Field != c.field {
			t.Errorf("%q %.40q: %v, want %s/%s", c.ct, c.body, err, c.code, c.field)
			continue
		}
		msg := message(i18n.EN, e)
		if strings.Contains(msg, "err.") || strings.Contains(msg, "%!") {
			t.Errorf("%.40q: untranslated message %q", c.body, msg)
		}
	}
	_, err = decode[userCreateRequest](ct, strings.NewReader(`{"roles":[{"role":"x"},{"role":"y","Role":"z"}]}`))
	if e := apperr.As(err); e == nil || e.Field != "roles[1].Role" {
		t.Fatalf("nested unknown field: %v", err)
	}
	_, err = decode[userCreateRequest](ct, strings.NewReader(`{"roles":[{"role":"x","bad":1}]}`))
	if e := apperr.As(err); e == nil || e.Code != "unknown_field" || e.Field != "roles[0].bad" {
		t.Fatalf("nested unknown field: %v", err)
	}
}

func TestWriteErrorHidesInternals(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{errors.New("pq: relation secret_table does not exist"), 500, codeInternal},
		{fmt.Errorf("query: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), 503, codeUnavailable},
		{errors.New("sqlite: database is locked (5) (SQLITE_BUSY)"), 503, codeUnavailable},
		{apperr.ErrForbidden, 403, "forbidden"},
		{apperr.New(apperr.TooMany, "locked", "", "err.login.locked", 15), 429, "locked"},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/api/v1/units", nil)
		writeError(w, r, c.err)
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != c.status || body.Error.Code != c.code || body.Error.Message == "" {
			t.Errorf("%v: %d %s", c.err, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "secret_table") || strings.Contains(w.Body.String(), "refused") {
			t.Errorf("internal detail leaked: %s", w.Body)
		}
	}
}

// fuzzDecode checks the contract of the strict decoder for one request type:
// it never panics, fails only with an *apperr.Error, and what it accepts
// survives a round trip unchanged.
func fuzzDecode[T any](f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decode[T]("application/json", strings.NewReader(string(data)))
		if err != nil {
			e := apperr.As(err)
			if e == nil {
				t.Fatalf("not an apperr: %T %v", err, err)
			}
			if e.Kind != apperr.Invalid || Status(e.Kind) >= 500 || statusOf(e) >= 500 {
				t.Fatalf("bad input answered %d: %v", statusOf(e), e)
			}
			if msg := message(i18n.ZH, e); msg == "" || strings.HasPrefix(msg, "err.") {
				t.Fatalf("untranslated: %q", msg)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("accepted value does not encode: %v", err)
		}
		w, err := decode[T]("application/json", strings.NewReader(string(again)))
		if err != nil {
			t.Fatalf("re-encoded value refused: %v: %s", err, again)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("round trip changed the value: %+v -> %+v", v, w)
		}
	})
}

func FuzzDecodeUnitCreate(f *testing.F) {
	fuzzDecode[unitCreateRequest](f, `{"code":"c1","name":"东城","parent_code":"qh","kind":"city"}`,
		`{"code":1}`, `{"code":"a","code":"b"}`, `{"Code":"a"}`, `{} x`, `[]`)
}

func FuzzDecodeUnitPatch(f *testing.F) {
	fuzzDecode[unitPatchRequest](f, `{"name":"新名"}`, `{"parent_code":"c2","name":null}`, `{"name":"\u00e9\ud800"}`, `{`)
}

func FuzzDecodeUserCreate(f *testing.F) {
	fuzzDecode[userCreateRequest](f, `{"username":"a1","name":"甲","unit_code":"u","password":"secret-1","roles":[{"role":"officer"}]}`,
		`{"roles":[{"role":"inspector","scope_code":"qh","x":1}]}`, `{"roles":{}}`, `{"roles":[null]}`)
}

func FuzzDecodeUserPatch(f *testing.F) {
	fuzzDecode[userPatchRequest](f, `{"name":"乙","unit_code":"c1","roles":[{"role":"leader"}],"disabled":true}`,
		`{"disabled":"true"}`, `{"roles":null}`, `{"roles":[]}`)
}

func FuzzDecodePasswordReset(f *testing.F) {
	fuzzDecode[passwordRequest](f, `{"password":"new-password-1"}`, `{"password":null}`, `{"password":"a","password":"b"}`)
}

func FuzzDecodeTokenCreate(f *testing.F) {
	fuzzDecode[tokenCreateRequest](f, `{"name":"script"}`, `{}`, `{"name":"x"}   `, "{\"name\":\"\\u0000\"}")
}

func TestParsePage(t *testing.T) {
	for q, ok := range map[string]bool{"": true, "page=2&per_page=500": true, "page=0": false, "per_page=501": false,
		"page=%20": false, "page=9007199254740993": false} {
		r := httptest.NewRequest("GET", "/x?"+q, nil)
		_, err := parsePage(r)
		if (err == nil) != ok {
			t.Errorf("%q: %v", q, err)
		}
	}
}
