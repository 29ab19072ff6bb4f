package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// lfx is a running server over a tree with the people a ledger needs:
//
//	p 青禾省委政法委             insp (inspector of the whole province)
//	├── c 明川市委政法委         lead (leader), dep (deputy), hand (handler)
//	│   └── c-k 东城区委政法委   off (officer: no ledger role, may be made responsible)
//	└── d 云岭市委政法委         out (handler of another branch: the outsider)
//
// The ledger's clock is fixed at Monday 2 November 2026, 10:00 in Beijing,
// and an attachment may be at most 64 KiB (so a too-large body is small).
type lfx struct {
	*fx
	web *web.Server
	now time.Time
}

const attachMax = 64 << 10

func setupLedger(t *testing.T, db *store.DB) *lfx {
	t.Helper()
	ctx := context.Background()
	sys := org.SystemPrincipal()
	people := []struct {
		name, unit string
		role       org.Role
	}{
		{"insp", "p", org.RoleInspector}, {"lead", "c", org.RoleLeader}, {"dep", "c", org.RoleDeputy},
		{"hand", "c", org.RoleHandler}, {"off", "c-k", org.RoleOfficer}, {"out", "d", org.RoleHandler},
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for _, u := range []org.UnitInput{
			{Code: "p", Name: "青禾省委政法委", Kind: "province"},
			{Code: "c", Name: "明川市委政法委", Kind: "city", ParentCode: "p"},
			{Code: "c-k", Name: "东城区委政法委", Kind: "county", ParentCode: "c"},
			{Code: "d", Name: "云岭市委政法委", Kind: "city", ParentCode: "p"},
		} {
			if _, err := org.CreateUnitTx(ctx, tx, sys, u); err != nil {
				return err
			}
		}
		for _, u := range people {
			if _, err := org.CreateUserTx(ctx, tx, nil, org.UserInput{Username: u.name, Name: "测试" + u.name,
				UnitCode: u.unit, Roles: []org.RoleGrant{{Role: string(u.role)}}, Password: testPassword}, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &lfx{fx: &fx{t: t, db: db, tok: map[string]string{}}, now: time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)}
	for _, u := range people {
		secret, _, err := auth.CreateToken(ctx, db, nil, u.name, "t")
		if err != nil {
			t.Fatal(err)
		}
		f.tok[u.name] = secret
	}
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "info",
		IdleTimeout: 30 * time.Minute, AbsTimeout: 12 * time.Hour}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	f.web = web.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.web.Ledger.Clock = func() time.Time { return f.now }
	f.web.Ledger.Files.MaxSize = attachMax
	f.srv = httptest.NewServer(f.web.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// problem is the JSON body of a new item, with the fields of the example.
func problem(overrides ...string) map[string]any {
	b := map[string]any{"title": "执行案件超期未结", "description": "2025 年以来 12 件执行案件超审限",
		"source": "inspection", "class": "deadline", "unit_code": "c", "responsible": "off",
		"measures": "逐案清理,每周通报", "deadline": "2026-11-30", "tags": []string{"有案不立、压案不查、有罪不究"}}
	for i := 0; i+1 < len(overrides); i += 2 {
		b[overrides[i]] = overrides[i+1]
	}
	return b
}

// create records an item as user and returns its id and number.
func (f *lfx) create(user string, body map[string]any) (string, string) {
	f.t.Helper()
	r := f.req(user, "POST", "/api/v1/problems", body)
	want(f.t, r, 201, "")
	return fmt.Sprint(r.Body["id"]), r.str("number")
}

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// part of a multipart body: a text field, or a file when filename is set.
type part struct {
	name, filename string
	data           []byte
}

func text(name, v string) part { return part{name: name, data: []byte(v)} }

func file(name, filename string, data []byte) part {
	return part{name: name, filename: filename, data: data}
}

func multipartBody(t *testing.T, parts ...part) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		var pw io.Writer
		var err error
		if p.filename != "" {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
			h.Set("Content-Type", "application/octet-stream")
			pw, err = w.CreatePart(h)
		} else {
			pw, err = w.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.data)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// form sends a multipart request as user.
func (f *lfx) form(user, path string, parts ...part) resp {
	f.t.Helper()
	body, ct := multipartBody(f.t, parts...)
	return f.req(user, "POST", path, body, "Content-Type", ct)
}

func (f *lfx) get(user, id string) resp {
	f.t.Helper()
	r := f.req(user, "GET", "/api/v1/problems/"+id, nil)
	want(f.t, r, 200, "")
	return r
}

func num(r resp, k string) float64 {
	n, _ := r.Body[k].(float64)
	return n
}

func TestProblemLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setupLedger(t, db)
		pic := pngBytes(t)

		// create: 201 with the item, its number, status and light, and its URL
		r := f.req("hand", "POST", "/api/v1/problems", problem())
		want(t, r, 201, "")
		id := fmt.Sprint(r.Body["id"])
		number := r.str("number")
		if number != "WT-2026-000001" || r.str("status") != "open" || r.str("light") != "green" ||
			r.str("responsible") != "off" || r.str("deadline") != "2026-11-30" || r.str("unit_name") != "明川市委政法委" ||
			r.Header.Get("Location") != "/api/v1/problems/"+id || len(r.Body["tags"].([]any)) != 1 ||
			r.Body["closed_on"] != nil || r.Body["supervision"] != nil || r.Body["mechanism"] != nil {
			t.Fatalf("create: %s %s", r.Header.Get("Location"), r.Raw)
		}
		checkSchema(t, f.fx, r.Body, "Problem")

		// the responsible officer holds no ledger role but reads and works on his item
		if r := f.get("off", id); r.str("number") != number {
			t.Fatalf("get: %s", r.Raw)
		}

		// closing without any evidence is refused with the ledger's message
		f.unchanged(func() {
			r := f.req("off", "POST", "/api/v1/problems/"+id+"/close", `{"note":"已完成"}`)
			want(t, r, 400, "invalid")
			if r.errField() != "evidence" || r.errMessage() != "申请销号前必须上传整改佐证材料(文件、照片或文档)。" {
				t.Fatalf("close without evidence: %s", r.Raw)
			}
		})

		// progress with a photo, as a multipart form
		f.now = f.now.AddDate(0, 0, 14)
		r = f.form("off", "/api/v1/problems/"+id+"/progress", text("note", "已清理 6 件"), text("percent", "50"),
			file("evidence", "整改照片.png", pic))
		want(t, r, 200, "")
		if r.str("status") != "in_progress" || num(r, "percent") != 50 || num(r, "evidence_count") != 1 {
			t.Fatalf("progress: %s", r.Raw)
		}
		// the percentage never goes down (JSON this time)
		f.unchanged(func() {
			want(t, f.req("off", "POST", "/api/v1/problems/"+id+"/progress", `{"note":"倒退","percent":40}`), 400, "invalid")
		})

		// the timeline carries the evidence, which downloads as it was uploaded
		r = f.req("hand", "GET", "/api/v1/problems/"+id+"/events", nil)
		want(t, r, 200, "")
		evs := r.items()
		if len(evs) != 2 {
			t.Fatalf("events: %s", r.Raw)
		}
		ev := evs[1].(map[string]any)
		checkSchema(t, f.fx, ev, "ProblemEvent")
		evidence := ev["evidence"].([]any)
		if ev["kind"] != "progress" || ev["percent"].(float64) != 50 || ev["from_status"] != "open" ||
			ev["to_status"] != "in_progress" || len(evidence) != 1 {
			t.Fatalf("progress event: %v", ev)
		}
		att := evidence[0].(map[string]any)
		if att["name"] != "整改照片.png" || att["mime"] != "image/png" || att["size"].(float64) != float64(len(pic)) {
			t.Fatalf("evidence: %v", att)
		}
		dl := f.req("off", "GET", att["url"].(string), nil)
		want(t, dl, 200, "")
		if !bytes.Equal(dl.Raw, pic) || dl.Header.Get("Content-Type") != "image/png" ||
			dl.Header.Get("X-Content-Type-Options") != "nosniff" ||
			dl.Header.Get("Content-Disposition") != `attachment; filename="____.png"; filename*=UTF-8''`+url.PathEscape("整改照片")+".png" {
			t.Fatalf("download: %v %d bytes", dl.Header, len(dl.Raw))
		}
		// an attachment of another item, or none at all, is not found
		want(t, f.req("off", "GET", "/api/v1/problems/"+id+"/attachments/999999", nil), 404, "not_found")

		// ask for closing: pending verification
		r = f.req("off", "POST", "/api/v1/problems/"+id+"/close", `{"note":"12 件全部结案","standard":"案件全部结案并录入系统"}`)
		want(t, r, 200, "")
		if r.str("status") != "pending_verification" || r.str("close_standard") != "案件全部结案并录入系统" {
			t.Fatalf("close: %s", r.Raw)
		}

		// the responsible person cannot verify his own item, nor can a handler; approve is required
		f.unchanged(func() {
			want(t, f.req("off", "POST", "/api/v1/problems/"+id+"/verify", `{"approve":true}`), 403, "")
			want(t, f.req("hand", "POST", "/api/v1/problems/"+id+"/verify", `{"approve":true}`), 403, "")
			r := f.req("insp", "POST", "/api/v1/problems/"+id+"/verify", `{"note":"核查属实"}`)
			want(t, r, 400, "invalid")
			if r.errField() != "approve" {
				t.Fatalf("approve missing: %s", r.Raw)
			}
		})
		r = f.req("insp", "POST", "/api/v1/problems/"+id+"/verify", `{"approve":true,"note":"核查属实"}`)
		want(t, r, 200, "")
		if r.str("status") != "closed" || r.str("closed_on") != "2026-11-16" || r.str("review_due") != "2027-02-14" ||
			num(r, "percent") != 100 {
			t.Fatalf("verify: %s", r.Raw)
		}

		// the look-back finds the problem back: a new deadline is required, and it reopens
		f.unchanged(func() {
			r := f.req("insp", "POST", "/api/v1/problems/"+id+"/review", `{"recurred":true,"note":"又有 2 件超期"}`)
			want(t, r, 400, "invalid")
			if r.errField() != "deadline" {
				t.Fatalf("review without deadline: %s", r.Raw)
			}
		})
		r = f.req("insp", "POST", "/api/v1/problems/"+id+"/review", `{"recurred":true,"note":"又有 2 件超期","deadline":"2026年12月31日"}`)
		want(t, r, 200, "")
		if r.str("status") != "reopened" || num(r, "reopen_count") != 1 || r.str("deadline") != "2026-12-31" ||
			r.str("review_result") != "recurred" || num(r, "percent") != 0 {
			t.Fatalf("review: %s", r.Raw)
		}

		// the timeline and the audit trail have every step
		r = f.req("insp", "GET", "/api/v1/problems/"+id+"/events", nil)
		var kinds []string
		for _, e := range r.items() {
			kinds = append(kinds, e.(map[string]any)["kind"].(string))
		}
		if strings.Join(kinds, " ") != "created progress close_requested closed review_recurred" {
			t.Fatalf("timeline: %v", kinds)
		}
		r = f.req("insp", "GET", "/api/v1/audit?object_type=problem&object_id="+number, nil)
		want(t, r, 200, "")
		var actions []string
		for _, e := range r.items() {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		slices.Reverse(actions) // the trail lists the newest first
		if strings.Join(actions, " ") != "problem.create problem.progress problem.close_requested problem.closed problem.review_recurred" {
			t.Fatalf("audit: %v", actions)
		}
	})
}

func TestProblemDraftPatchExtensionSupervision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setupLedger(t, db)

		// a draft may lack the 三定, and cannot be opened until they are fixed
		r := f.req("hand", "POST", "/api/v1/problems", map[string]any{"title": "窗口服务态度差", "source": "citizen_report",
			"class": "immediate", "unit_code": "c", "draft": true})
		want(t, r, 201, "")
		id := fmt.Sprint(r.Body["id"])
		if r.str("status") != "draft" || r.Body["responsible"] != nil || r.Body["deadline"] != nil {
			t.Fatalf("draft: %s", r.Raw)
		}
		f.unchanged(func() {
			r := f.req("hand", "POST", "/api/v1/problems/"+id+"/submit", nil)
			want(t, r, 400, "invalid")
			if r.errField() != "responsible" {
				t.Fatalf("submit incomplete: %s", r.Raw)
			}
		})
		f.unchanged(func() { want(t, f.req("hand", "PATCH", "/api/v1/problems/"+id, `{}`), 400, "invalid") })
		r = f.req("hand", "PATCH", "/api/v1/problems/"+id, `{"responsible":"hand","measures":"约谈窗口人员","deadline":"2026-11-20","severity":"serious"}`)
		want(t, r, 200, "")
		if r.str("responsible") != "hand" || r.str("deadline") != "2026-11-20" || r.str("title") != "窗口服务态度差" || r.str("severity") != "serious" {
			t.Fatalf("patch draft: %s", r.Raw)
		}
		r = f.req("hand", "POST", "/api/v1/problems/"+id+"/submit", nil)
		want(t, r, 200, "")
		if r.str("status") != "open" {
			t.Fatalf("submit: %s", r.Raw)
		}
		// once open the 三定 no longer change by editing; severity and tags still do
		f.unchanged(func() {
			r := f.req("hand", "PATCH", "/api/v1/problems/"+id, `{"deadline":"2026-12-31"}`)
			want(t, r, 409, "invalid_state")
			if r.errField() != "deadline" {
				t.Fatalf("patch open deadline: %s", r.Raw)
			}
		})
		r = f.req("hand", "PATCH", "/api/v1/problems/"+id, `{"tags":["窗口作风"],"deadline":"2026年11月20日","responsible":"HAND"}`)
		want(t, r, 200, "")
		if tags := r.Body["tags"].([]any); len(tags) != 1 || tags[0] != "窗口作风" {
			t.Fatalf("patch tags: %s", r.Raw)
		}

		// extension: asked by the responsible person, decided by the deputy (never by the asker)
		f.unchanged(func() {
			want(t, f.req("hand", "POST", "/api/v1/problems/"+id+"/extension", `{"deadline":"2026-11-10","reason":"案件较多"}`), 400, "invalid")
		})
		r = f.req("hand", "POST", "/api/v1/problems/"+id+"/extension", `{"deadline":"2026-12-15","reason":"涉及人员较多,需逐一约谈"}`)
		want(t, r, 200, "")
		if ext, _ := r.Body["extension_request"].(map[string]any); ext["deadline"] != "2026-12-15" || r.str("deadline") != "2026-11-20" {
			t.Fatalf("extension request: %s", r.Raw)
		}
		f.unchanged(func() {
			want(t, f.req("hand", "POST", "/api/v1/problems/"+id+"/extension/decide", `{"approve":true}`), 403, "")
			want(t, f.req("dep", "POST", "/api/v1/problems/"+id+"/extension/decide", `{"note":"同意"}`), 400, "invalid")
		})
		r = f.req("dep", "POST", "/api/v1/problems/"+id+"/extension/decide", `{"approve":true,"note":"同意"}`)
		want(t, r, 200, "")
		if r.str("deadline") != "2026-12-15" || num(r, "extensions") != 1 || r.Body["extension_request"] != nil {
			t.Fatalf("extension decided: %s", r.Raw)
		}

		// named supervision by the inspector; a deputy may not; 0 lifts it
		f.unchanged(func() {
			want(t, f.req("dep", "POST", "/api/v1/problems/"+id+"/supervise", `{"interval_days":7,"note":"挂牌"}`), 403, "")
			want(t, f.req("insp", "POST", "/api/v1/problems/"+id+"/supervise", `{"note":"挂牌"}`), 400, "invalid")
		})
		r = f.req("insp", "POST", "/api/v1/problems/"+id+"/supervise", `{"interval_days":7,"note":"省委政法委挂牌督办"}`)
		want(t, r, 200, "")
		sup, _ := r.Body["supervision"].(map[string]any)
		if r.Body["supervised"] != true || sup["unit_code"] != "p" || sup["interval_days"].(float64) != 7 {
			t.Fatalf("supervise: %s", r.Raw)
		}
		checkSchema(t, f.fx, r.Body, "Problem")
		if l := f.req("insp", "GET", "/api/v1/problems?supervised=TRUE", nil); num(l, "total") != 1 {
			t.Fatalf("supervised filter: %s", l.Raw)
		}
		r = f.req("insp", "POST", "/api/v1/problems/"+id+"/supervise", `{"interval_days":0}`)
		want(t, r, 200, "")
		if r.Body["supervised"] != false || r.Body["supervision"] != nil {
			t.Fatalf("lift: %s", r.Raw)
		}

		// every change is in the audit trail
		entries, err := audit.List(context.Background(), db, audit.Filter{ObjectType: "problem", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		slices.Reverse(actions)
		wantActions := "problem.create problem.update problem.submitted problem.update problem.extension_requested " +
			"problem.extension_approved problem.supervised problem.supervision_lifted"
		if strings.Join(actions, " ") != wantActions {
			t.Fatalf("audit: %v", actions)
		}
	})
}

func TestProblemBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setupLedger(t, db)
		refused := func(user, method, path string, body any, status int, code, field string, hdr ...string) resp {
			t.Helper()
			var r resp
			f.unchanged(func() {
				r = f.req(user, method, path, body, hdr...)
				want(t, r, status, code)
				if field != "" && r.errField() != field {
					t.Fatalf("field %q, want %q: %s", r.errField(), field, r.Raw)
				}
			})
			return r
		}
		create := func(body any, status int, code, field string) resp {
			t.Helper()
			return refused("hand", "POST", "/api/v1/problems", body, status, code, field)
		}

		r := create(problem("deadline", "2026-10-01"), 400, "invalid", "deadline")
		if r.errMessage() != "完成时限不能早于今天(2026-11-02)。" {
			t.Fatalf("past deadline: %s", r.Raw)
		}
		r = create(problem("deadline", "下月底"), 400, "invalid", "deadline")
		if !strings.Contains(r.errMessage(), "“下月底”无法识别") {
			t.Fatalf("下月底: %s", r.Raw)
		}
		r = create(problem("responsible", "out"), 400, "invalid", "responsible")
		if r.errMessage() != "测试out 不在“明川市委政法委”及其下级单位,不能作为该问题的责任人。" {
			t.Fatalf("outside responsible: %s", r.Raw)
		}
		create(problem("responsible", "nobody"), 400, "invalid", "responsible")
		create(problem("unit_code", "d"), 400, "invalid", "unit_code") // outside the handler's reach
		create(problem("source", "rumour"), 400, "invalid", "source")
		create(problem("title", ""), 400, "invalid", "title")
		create(problem("measures", ""), 400, "invalid", "measures")
		create(`{"title":"x","source":"other","class":"deadline","unit_code":"c","draft":true,"extra":1}`, 400, "unknown_field", "extra")
		create(`{"title":"x","title":"y"}`, 400, "duplicate_field", "title")
		create(`{"title":1}`, 400, "malformed_json", "title")
		create(`{"title":"x"`, 400, "malformed_json", "")
		refused("hand", "POST", "/api/v1/problems", []byte(`title=x`), 415, "unsupported_media_type", "",
			"Content-Type", "application/x-www-form-urlencoded")
		// the date as people write it is accepted
		id, _ := f.create("hand", problem("deadline", "2026年12月1日"))
		if r := f.get("hand", id); r.str("deadline") != "2026-12-01" {
			t.Fatalf("written date: %s", r.Raw)
		}

		// ids
		refused("hand", "GET", "/api/v1/problems/abc", nil, 400, "invalid", "id")
		refused("hand", "GET", "/api/v1/problems/0", nil, 400, "invalid", "id")
		refused("hand", "GET", "/api/v1/problems/99999999999999999999", nil, 400, "invalid", "id")
		refused("hand", "POST", "/api/v1/problems/-1/progress", `{"note":"x","percent":1}`, 400, "invalid", "id")
		refused("hand", "GET", "/api/v1/problems/"+id+"/attachments/x", nil, 400, "invalid", "aid")
		refused("hand", "GET", "/api/v1/problems/424242", nil, 404, "not_found", "")

		// progress bodies: JSON or multipart, nothing else, and strict either way
		prog := "/api/v1/problems/" + id + "/progress"
		refused("off", "POST", prog, []byte(`note=x&percent=1`), 415, "unsupported_media_type", "", "Content-Type", "application/x-www-form-urlencoded")
		refused("off", "POST", prog, `{"note":"x"}`, 400, "invalid", "percent")
		refused("off", "POST", prog, `{"note":"x","percent":"50"}`, 400, "malformed_json", "percent")
		refused("off", "POST", prog, `{"note":"x","percent":50,"evidence":[]}`, 400, "unknown_field", "evidence")
		refused("off", "POST", prog, `{"note":"x","percent":101}`, 400, "invalid", "percent")
		form := func(status int, code, field string, parts ...part) resp {
			t.Helper()
			body, ct := multipartBody(t, parts...)
			return refused("off", "POST", prog, body, status, code, field, "Content-Type", ct)
		}
		pic := pngBytes(t)
		form(400, "invalid", "percent", text("note", "x"), text("percent", "half"))
		form(400, "invalid", "percent", text("note", "x"))
		form(400, "unknown_field", "colour", text("note", "x"), text("percent", "5"), text("colour", "red"))
		form(400, "duplicate_field", "note", text("note", "x"), text("note", "y"), text("percent", "5"))
		form(400, "invalid", "note", file("note", "a.png", pic), text("percent", "5"))
		form(400, "invalid", "evidence", text("note", "x"), text("percent", "5"), text("evidence", "a.png"))
		body, ct := multipartBody(t, text("note", "x"))
		refused("off", "POST", prog, body[:len(body)-10], 400, "bad_request", "", "Content-Type", ct)

		// evidence that is not what it says is refused, and nothing is recorded
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), bytes.Repeat([]byte{0}, 200)...)
		r = form(400, "invalid", "evidence", text("note", "已整改"), text("percent", "10"), file("evidence", "现场照片.png", exe))
		if r.errMessage() != "文件“现场照片.png”的内容与扩展名不符,请上传原始文件。" {
			t.Fatalf("exe as png: %s", r.Raw)
		}
		r = form(400, "invalid", "evidence", text("note", "已整改"), text("percent", "10"), file("evidence", "setup.exe", exe))
		if !strings.Contains(r.errMessage(), "setup.exe") {
			t.Fatalf("exe: %s", r.Raw)
		}
		form(400, "invalid", "evidence", text("note", "已整改"), text("percent", "10"), file("evidence", "big.png", append(pic, make([]byte, attachMax)...)))
		many := []part{text("note", "x"), text("percent", "5")}
		for i := range 21 {
			many = append(many, file("evidence", fmt.Sprintf("p%d.png", i), pic))
		}
		form(400, "invalid", "evidence", many...)

		// a body over 20 files at the attachment maximum (+1 MiB) is 413, as multipart or JSON
		huge := bytes.Repeat([]byte("x"), 20*attachMax+(1<<20)+1)
		r = form(413, "too_large", "", text("note", "x"), text("percent", "5"), file("evidence", "a.txt", huge))
		if !strings.Contains(r.errMessage(), "20 个文件") {
			t.Fatalf("413 message: %s", r.Raw)
		}
		refused("off", "POST", prog, `{"note":"`+strings.Repeat("x", 1<<20)+`","percent":5}`, 413, "too_large", "")
		if r := f.get("off", id); r.str("status") != "open" || num(r, "evidence_count") != 0 {
			t.Fatalf("a refused request changed the item: %s", r.Raw)
		}

		// separation of duties: an inspector who reported the progress cannot verify it
		want(t, f.form("insp", prog, text("note", "督察组现场核实整改"), text("percent", "100"), file("evidence", "核实.png", pic)), 200, "")
		want(t, f.req("off", "POST", "/api/v1/problems/"+id+"/close", `{"note":"已完成"}`), 200, "")
		r = refused("insp", "POST", "/api/v1/problems/"+id+"/verify", `{"approve":true}`, 403, "own_item", "")
		if r.errMessage() != "不能审核自己负责、自己报告进展或自己申请销号的问题。" {
			t.Fatalf("own item: %s", r.Raw)
		}
		// a step that does not fit the state is a conflict
		refused("off", "POST", prog, `{"note":"x","percent":100}`, 409, "invalid_state", "")
		refused("insp", "POST", "/api/v1/problems/"+id+"/review", `{"recurred":false}`, 409, "invalid_state", "")
	})
}

func TestProblemOutsiderSeesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setupLedger(t, db)
		id, number := f.create("hand", problem())
		want(t, f.form("off", "/api/v1/problems/"+id+"/progress", text("note", "已清理 6 件"), text("percent", "50"),
			file("evidence", "整改照片.png", pngBytes(t))), 200, "")
		r := f.req("hand", "GET", "/api/v1/problems/"+id+"/events", nil)
		aurl := r.items()[1].(map[string]any)["evidence"].([]any)[0].(map[string]any)["url"].(string)

		base := "/api/v1/problems/" + id
		f.unchanged(func() {
			for _, c := range []struct{ method, path, body string }{
				{"GET", base, ""},
				{"GET", base + "/events", ""},
				{"GET", aurl, ""},
				{"PATCH", base, `{"severity":"grave"}`},
				{"POST", base + "/submit", ""},
				{"POST", base + "/progress", `{"note":"x","percent":60}`},
				{"POST", base + "/close", `{"note":"x"}`},
				{"POST", base + "/verify", `{"approve":true}`},
				{"POST", base + "/review", `{"recurred":false}`},
				{"POST", base + "/extension", `{"deadline":"2026-12-31","reason":"x"}`},
				{"POST", base + "/extension/decide", `{"approve":true}`},
				{"POST", base + "/supervise", `{"interval_days":7,"note":"x"}`},
			} {
				var body any
				if c.body != "" {
					body = c.body
				}
				r := f.req("out", c.method, c.path, body)
				if r.Code != 404 || r.errCode() != "not_found" || strings.Contains(string(r.Raw), number) {
					t.Fatalf("%s %s by an outsider: %d %s", c.method, c.path, r.Code, r.Raw)
				}
			}
			// multipart too
			r := f.form("out", base+"/progress", text("note", "x"), text("percent", "60"), file("evidence", "a.png", pngBytes(t)))
			want(t, r, 404, "not_found")
		})
		// the outsider's list is empty; naming the other branch's unit answers as for a unit that does not exist
		r = f.req("out", "GET", "/api/v1/problems", nil)
		want(t, r, 200, "")
		if num(r, "total") != 0 || len(r.items()) != 0 {
			t.Fatalf("outsider list: %s", r.Raw)
		}
		r1 := f.req("out", "GET", "/api/v1/problems?unit=c", nil)
		r2 := f.req("out", "GET", "/api/v1/problems?unit=nowhere", nil)
		want(t, r1, 400, "invalid")
		if r1.errMessage() != strings.ReplaceAll(r2.errMessage(), "nowhere", "c") {
			t.Fatalf("unit filter leaks: %s / %s", r1.Raw, r2.Raw)
		}
		r1 = f.req("out", "GET", "/api/v1/problems?responsible=off", nil)
		r2 = f.req("out", "GET", "/api/v1/problems?responsible=nobody", nil)
		want(t, r1, 400, "invalid")
		if r1.errMessage() != strings.ReplaceAll(r2.errMessage(), "nobody", "off") {
			t.Fatalf("responsible filter leaks: %s / %s", r1.Raw, r2.Raw)
		}
	})
}

func TestProblemList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setupLedger(t, db)
		// Monday 2 November: 1 due 31 December (green), 2 due Friday 6 November
		// (yellow: within 3 working days), 3 due Tuesday (red once Wednesday
		// comes), 4 a draft, 5 long-term in the county under way.
		a, _ := f.create("hand", problem("deadline", "2026-12-31"))
		b, _ := f.create("hand", problem("deadline", "2026-11-06", "title", "立案登记不规范"))
		c, _ := f.create("hand", problem("deadline", "2026-11-03", "source", "citizen_report"))
		d, _ := f.create("hand", map[string]any{"title": "草稿", "source": "other", "class": "immediate", "unit_code": "c", "draft": true})
		e, _ := f.create("insp", problem("unit_code", "c-k", "class", "longterm", "deadline", "2027-06-30"))
		want(t, f.req("off", "POST", "/api/v1/problems/"+e+"/progress", `{"note":"制度起草中","percent":20}`), 200, "")

		f.now = time.Date(2026, 11, 4, 2, 0, 0, 0, time.UTC) // Wednesday
		if _, err := f.web.Ledger.RefreshLights(context.Background()); err != nil {
			t.Fatal(err)
		}
		ids := func(q string) []string {
			t.Helper()
			r := f.req("hand", "GET", "/api/v1/problems"+q, nil)
			want(t, r, 200, "")
			var out []string
			for _, it := range r.items() {
				out = append(out, fmt.Sprint(it.(map[string]any)["id"]))
			}
			if int(num(r, "total")) < len(out) {
				t.Fatalf("%s: total %v below the page: %s", q, r.Body["total"], r.Raw)
			}
			sort.Strings(out)
			return out
		}
		set := func(s ...string) []string { sort.Strings(s); return s }
		for q, wantIDs := range map[string][]string{
			"":                          set(a, b, c, d, e),
			"?status=open":              set(a, b, c),
			"?status=draft":             set(d),
			"?status=in_progress":       set(e),
			"?light=red":                set(c),
			"?light=yellow":             set(b),
			"?light=green":              set(a, d, e),
			"?unit=c-k":                 set(e),
			"?unit=c":                   set(a, b, c, d, e),
			"?unit=c&light=red":         set(c),
			"?class=longterm":           set(e),
			"?source=citizen_report":    set(c),
			"?q=%E7%AB%8B%E6%A1%88":     set(b), // 立案
			"?responsible=off":          set(a, b, c, e),
			"?deadline_to=2026-11-06":   set(b, c),
			"?deadline_from=2026-12-01": set(a, e),
			"?tag=" + url.QueryEscape("有案不立、压案不查、有罪不究"): set(a, b, c, e),
		} {
			if got := ids(q); !slices.Equal(got, wantIDs) {
				t.Errorf("%q: %v, want %v", q, got, wantIDs)
			}
		}

		// pages: sorted by deadline, drafts (no deadline) last
		var seen []string
		for page := 1; page <= 3; page++ {
			r := f.req("hand", "GET", fmt.Sprintf("/api/v1/problems?per_page=2&page=%d", page), nil)
			want(t, r, 200, "")
			if num(r, "total") != 5 || num(r, "page") != float64(page) || num(r, "per_page") != 2 {
				t.Fatalf("page %d: %s", page, r.Raw)
			}
			for _, it := range r.items() {
				seen = append(seen, fmt.Sprint(it.(map[string]any)["id"]))
			}
		}
		if !slices.Equal(seen, []string{c, b, a, e, d}) {
			t.Fatalf("pages: %v", seen)
		}
		r := f.req("hand", "GET", "/api/v1/problems?page=9", nil)
		if num(r, "total") != 5 || len(r.items()) != 0 {
			t.Fatalf("past the end: %s", r.Raw)
		}
		r = f.req("hand", "GET", "/api/v1/problems?sort=light&per_page=1", nil)
		if fmt.Sprint(r.items()[0].(map[string]any)["id"]) != c {
			t.Fatalf("sort=light: %s", r.Raw)
		}

		// the responsible officer sees only his items; the outsider none
		r = f.req("off", "GET", "/api/v1/problems", nil)
		if num(r, "total") != 4 {
			t.Fatalf("officer: %s", r.Raw)
		}

		for _, q := range []string{"status=lost", "light=blue", "class=x", "source=x", "sort=random", "deadline_from=下月底",
			"supervised=maybe", "page=0", "per_page=201", "unit=nowhere", "responsible=nobody"} {
			r := f.req("hand", "GET", "/api/v1/problems?"+q, nil)
			want(t, r, 400, "")
			if name, _, _ := strings.Cut(q, "="); r.errField() != name {
				t.Errorf("%s: field %q: %s", q, r.errField(), r.Raw)
			}
		}
	})
}

// checkSchema fails unless the keys of body are exactly the properties of the
// named schema of the OpenAPI document (all of them are required).
func checkSchema(t *testing.T, f *fx, body map[string]any, schema string) {
	t.Helper()
	res, err := http.Get(f.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
				Required   []string       `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	s, ok := doc.Components.Schemas[schema]
	if !ok {
		t.Fatalf("no schema %s", schema)
	}
	for k := range body {
		if _, ok := s.Properties[k]; !ok {
			t.Errorf("%s: key %q is not in the document", schema, k)
		}
	}
	for _, k := range s.Required {
		if _, ok := body[k]; !ok {
			t.Errorf("%s: required key %q is missing from the answer", schema, k)
		}
	}
}
