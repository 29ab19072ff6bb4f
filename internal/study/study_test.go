package study

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func init() { org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1} }

var ctx = context.Background()

var setup = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKey(t *testing.T, err error, key string) {
	t.Helper()
	if e := apperr.As(err); e == nil || e.Key != key {
		t.Fatalf("error %v, want %s", err, key)
	}
}

func principal(t *testing.T, db *store.DB, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, db.Read, username)
	must(t, err)
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	must(t, err)
	return p
}

// world is a city with two counties; a county has a court below it.
func world(t *testing.T, db *store.DB) {
	for _, u := range []org.UnitInput{
		{Code: "c", Name: "一市委政法委", Kind: "city"},
		{Code: "k1", Name: "一县委政法委", Kind: "county", ParentCode: "c"},
		{Code: "k1-court", Name: "一县人民法院", Kind: "organ", ParentCode: "k1"},
		{Code: "k2", Name: "二县委政法委", Kind: "county", ParentCode: "c"},
	} {
		_, err := org.CreateUnit(ctx, db, setup, u)
		must(t, err)
	}
	for _, u := range []org.UserInput{
		{Username: "secretary", Name: "周书记", UnitCode: "c", Roles: []org.RoleGrant{{Role: "leader"}}},
		{Username: "admin", Name: "吴管理员", UnitCode: "c", Roles: []org.RoleGrant{{Role: "admin"}}},
		{Username: "k1lead", Name: "赵县长", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "leader"}}},
		{Username: "judge", Name: "钱副院长", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "deputy"}}},
		{Username: "clerk", Name: "孙干警", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "clerk2", Name: "李干警", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "k2off", Name: "郑干警", UnitCode: "k2", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "inspector", Name: "王督察", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "inspector"}}},
	} {
		u.Password = "pw-123456789"
		_, err := org.CreateUser(ctx, db, setup, u)
		must(t, err)
	}
}

func TestStudyTaskReflectionsAndOriginality(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		world(t, db)
		now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		s := New(db, attach.New(t.TempDir()))
		s.Clock = func() time.Time { return now }
		sec, k1lead, judge, clerk, clerk2, k2off, insp, admin := principal(t, db, "secretary"), principal(t, db, "k1lead"),
			principal(t, db, "judge"), principal(t, db, "clerk"), principal(t, db, "clerk2"), principal(t, db, "k2off"),
			principal(t, db, "inspector"), principal(t, db, "admin")

		in := TaskInput{Title: "学习《政法队伍教育整顿应知应会》", Material: "本次学习的材料全文如下。坚持刀刃向内，推进教育整顿走深走实。",
			UnitCode: "k1", Due: "2026-12-10", MinLength: 300}
		// an officer cannot issue; a leader cannot issue outside their subtree
		_, err := s.Create(ctx, clerk, in, nil)
		wantKey(t, err, "err.study.unit.unknown")
		bad := in
		bad.UnitCode = "k2"
		_, err = s.Create(ctx, k1lead, bad, nil)
		wantKey(t, err, "err.study.unit.unknown")
		bad = in
		bad.Roles = []string{"mayor"}
		_, err = s.Create(ctx, k1lead, bad, nil)
		wantKey(t, err, "err.study.role")
		bad = in
		bad.Due = "下月底"
		_, err = s.Create(ctx, k1lead, bad, nil)
		wantKey(t, err, "err.study.due")

		task, err := s.Create(ctx, k1lead, in, []Upload{{Name: "应知应会.txt", R: strings.NewReader("应知应会题库")}})
		must(t, err)
		// the county's people: its leader, the inspector, the court's deputy and two officers
		if task.Number != "XX-2026-000001" || task.Assigned != 5 || task.Due != "2026-12-10" || len(task.Files) != 1 {
			t.Fatalf("task %+v", task)
		}
		// visible to the audience and to readers of the issuing unit; not to another county
		if _, err := s.Get(ctx, k2off, task.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("other county sees the task: %v", err)
		}
		if _, err := s.Get(ctx, sec, task.ID); err != nil {
			t.Fatalf("the city reads it: %v", err)
		}
		if ts, n, err := s.List(ctx, k2off, Filter{}); err != nil || n != 0 || len(ts) != 0 {
			t.Fatalf("k2 list %d %v", n, err)
		}
		if ts, n, err := s.List(ctx, clerk, Filter{Mine: true}); err != nil || n != 1 || !ts[0].Assignee == ts[0].Assignee {
			t.Fatalf("clerk list %d %v", n, err)
		}
		// the city secretary is not in a county task's audience
		if _, err := s.Submit(ctx, sec, task.ID, storedText(1)); apperr.As(err) == nil || apperr.As(err).Code != "not_assigned" {
			t.Fatalf("secretary submits: %v", err)
		}
		// a role-limited task reaches only those roles
		lt := in
		lt.Roles = []string{"leader", "deputy"}
		lt.Title = "领导干部专题学习"
		lead, err := s.Create(ctx, k1lead, lt, nil)
		must(t, err)
		if lead.Assigned != 2 {
			t.Fatalf("leaders-only task assigned %d", lead.Assigned)
		}

		// too short: punctuation and spaces do not count
		_, err = s.Submit(ctx, clerk, task.ID, strings.Repeat("学习，。 ", 100))
		wantKey(t, err, "err.study.too_short")

		g := newGen(5)
		original := g.text(1200)
		r1, err := s.Submit(ctx, clerk, task.ID, original)
		must(t, err)
		if r1.Flagged || r1.Late || r1.Similarity > 0.2 {
			t.Fatalf("original reflection %+v", r1)
		}
		// clerk2 copies clerk's reflection, disguised
		copied := g.disguise(original, thirty)
		r2, err := s.Submit(ctx, clerk2, task.ID, copied)
		must(t, err)
		if !r2.Flagged || r2.Similarity < 0.6 || r2.Matches[0].Source != "reflection:"+strconv.FormatInt(r1.ID, 10) {
			t.Fatalf("copy not flagged: %.3f %+v", r2.Similarity, r2.Matches)
		}
		// the spans point at the same text on both sides
		sp := r2.Matches[0].Spans[0]
		a, b := []rune(copied)[sp.Start:sp.End], []rune(original)[sp.SourceStart:sp.SourceEnd]
		if string(Normalize(string(a)).Runes) != string(Normalize(string(b)).Runes) {
			t.Fatalf("span %q vs %q", string(a), string(b))
		}
		// the clerk resubmits: the earlier version is superseded, not compared with
		r1b, err := s.Submit(ctx, clerk, task.ID, original+"补充一点：要把学习成果落实到每一件案件的办理中去。")
		must(t, err)
		if r1b.Flagged {
			t.Fatalf("own earlier version counted as a source: %+v", r1b.Matches)
		}

		// the judge copies a built-in speech in traditional characters, after the due date
		now = time.Date(2026, 12, 10, 16, 30, 0, 0, time.UTC) // 00:30 on the 11th in China
		speech := g.disguise(g.excerpt(Builtin()[1].Body, 900), edit{units: true, punct: true, tradShare: 1})
		r3, err := s.Submit(ctx, judge, task.ID, speech)
		must(t, err)
		if !r3.Flagged || !r3.Late || r3.Matches[0].Source != "reference:seed-001" {
			t.Fatalf("speech copy %+v %.3f", r3.Matches, r3.Similarity)
		}
		// reading: the author and reviewers over the author's unit; not a colleague officer, not another county
		if _, err := s.Reflection(ctx, clerk2, r1b.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("colleague reads: %v", err)
		}
		if _, err := s.Reflection(ctx, k2off, r2.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("other county reads: %v", err)
		}
		if _, err := s.Reflection(ctx, insp, r2.ID); err != nil {
			t.Fatal(err)
		}
		// the review page may show a source reflection only to who may read it
		if _, _, ok, err := s.Source(ctx, clerk2, r2.Matches[0].Source); err != nil || ok {
			t.Fatalf("clerk2 sees the source: %v %v", ok, err)
		}
		if title, _, ok, err := s.Source(ctx, insp, r2.Matches[0].Source); err != nil || !ok || !strings.Contains(title, "孙干警") {
			t.Fatalf("inspector source %q %v %v", title, ok, err)
		}

		// the material of a task the reviewer cannot see stays hidden: an
		// officers-only task of the county, reviewed by the court's deputy
		ot := in
		ot.Title, ot.Roles, ot.Material, ot.Due = "干警专题学习", []string{"officer"}, g.text(600), "2027-03-15"
		officers, err := s.Create(ctx, k1lead, ot, nil)
		must(t, err)
		pasted, err := s.Submit(ctx, clerk2, officers.ID, ot.Material)
		must(t, err)
		if !pasted.Flagged || pasted.Matches[0].Kind != SourceMaterial {
			t.Fatalf("material pasted: %+v", pasted.Matches)
		}
		if _, err := s.Reflection(ctx, judge, pasted.ID); err != nil {
			t.Fatalf("the deputy reviews the court's officers: %v", err)
		}
		if _, _, ok, err := s.Source(ctx, judge, pasted.Matches[0].Source); err != nil || ok {
			t.Fatalf("the deputy sees the material of a task not theirs: %v %v", ok, err)
		}
		if _, body, ok, err := s.Source(ctx, k1lead, pasted.Matches[0].Source); err != nil || !ok || body != ot.Material {
			t.Fatalf("the issuer's material: %v %v", ok, err)
		}

		// completion: by unit below the issuing unit and by rank
		c, err := s.Completion(ctx, k1lead, task.ID)
		must(t, err)
		if c.Total.Total != (Cell{Assigned: 5, OnTime: 2, Late: 1, Flagged: 2}) {
			t.Fatalf("total %+v", c.Total.Total)
		}
		if got := c.Total.Rank("officer"); got != (Cell{Assigned: 3, OnTime: 2, Flagged: 1}) {
			t.Fatalf("officers %+v", got) // clerk, clerk2 and the inspector
		}
		if got := c.Total.Rank("deputy"); got != (Cell{Assigned: 1, Late: 1, Flagged: 1}) {
			t.Fatalf("deputies %+v", got)
		}
		if got := c.Total.Rank("leader"); got != (Cell{Assigned: 1}) {
			t.Fatalf("leaders %+v", got)
		}
		if len(c.Units) != 2 || c.Units[0].UnitName != "一县委政法委（本级）" || c.Units[1].UnitName != "一县人民法院" ||
			c.Units[1].Total.Assigned != 3 {
			t.Fatalf("units %+v", c.Units)
		}
		if len(c.Members) != 5 {
			t.Fatalf("members %d", len(c.Members))
		}
		if c, err := s.Completion(ctx, clerk, task.ID); err != nil || len(c.Members) != 0 {
			t.Fatalf("an officer sees members: %v", err)
		}

		// judging a flag: a leader or inspector of the author's unit, with a note
		_, err = s.Judge(ctx, clerk, r2.ID, "original", "我没抄")
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("officer judges: %v", err)
		}
		_, err = s.Judge(ctx, insp, r2.ID, "copy", "")
		wantKey(t, err, "err.study.note.required")
		j, err := s.Judge(ctx, insp, r2.ID, "copy", "与孙干警心得大段雷同，已约谈")
		must(t, err)
		if j.Review != "copy" || j.ReviewedBy != "王督察" {
			t.Fatalf("judged %+v", j)
		}

		// what the scorecard and the warnings take
		from, to := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)
		k1, _ := org.UnitByCode(ctx, db.Read, "k1")
		due, done, orig, err := Figures(ctx, db, k1.Path, from, to)
		must(t, err)
		if due != 7 || done != 2 || orig != 1 { // 5 + the 2 leaders of the second task
			t.Fatalf("figures %d %d %d", due, done, orig)
		}
		court, _ := org.UnitByCode(ctx, db.Read, "k1-court")
		if due, done, orig, _ := Figures(ctx, db, court.Path, from, to); due != 4 || done != 2 || orig != 1 {
			t.Fatalf("court figures %d %d %d", due, done, orig)
		}
		if due, _, _, _ := Figures(ctx, db, k1.Path, to, to.AddDate(0, 1, 0)); due != 0 {
			t.Fatalf("next month %d", due)
		}
		// the same per unit, over civil days (the scorecard's hook)
		uf, err := UnitFigures(ctx, db.Read, k1.Path, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		must(t, err)
		if len(uf) != 2 || uf[court.ID] != (Count{Due: 4, Done: 2, Original: 1}) || uf[k1.ID] != (Count{Due: 3}) {
			t.Fatalf("unit figures %+v", uf)
		}
		if uf, _ := UnitFigures(ctx, db.Read, k1.Path, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)); len(uf) != 0 {
			t.Fatalf("due on the 10th counted in 1–9: %+v", uf)
		}
		cs, err := Copies(ctx, db, k1.Path)
		must(t, err)
		if len(cs) != 3 || cs[0].Link == "" || cs[0].Source == "" { // the two copies and the pasted material
			t.Fatalf("copies %+v", cs)
		}

		// the reference corpus: admins add texts; a copy of one is flagged
		if _, err := s.AddRef(ctx, k1lead, "范文", storedText(77)); !errors.Is(err, apperr.ErrForbidden) {
			t.Fatalf("leader adds a reference: %v", err)
		}
		ref, err := s.AddRef(ctx, admin, "网上流传的心得范文", storedText(77))
		must(t, err)
		r4, err := s.Submit(ctx, k1lead, task.ID, g.disguise(storedText(77), thirty))
		must(t, err)
		if !r4.Flagged || r4.Matches[0].Source != ref.Key {
			t.Fatalf("reference copy %+v", r4.Matches)
		}
		must(t, s.WithdrawRef(ctx, admin, ref.ID))
		refs, err := s.Refs(ctx, admin)
		must(t, err)
		if len(refs) != 6 || refs[5].WithdrawnAt == 0 {
			t.Fatalf("refs %+v", refs)
		}
		// settings
		must(t, s.SetSettings(ctx, admin, Settings{Threshold: 500, MinLength: 200}))
		if set, _ := GetSettings(ctx, db.Read); set.Threshold != 500 || set.MinLength != 200 {
			t.Fatalf("settings %+v", set)
		}
		wantKey(t, s.SetSettings(ctx, admin, Settings{Threshold: 0}), "err.study.threshold")

		// every change is in the audit trail
		es, err := audit.List(ctx, db, audit.Filter{})
		must(t, err)
		seen := map[string]int{}
		for _, e := range es {
			seen[e.Action]++
		}
		for a, n := range map[string]int{"study.task_create": 3, "study.reflection_submit": 6, "study.reflection_review": 1,
			"study.ref_add": 1, "study.ref_withdraw": 1, "study.settings": 1} {
			if seen[a] != n {
				t.Fatalf("audit %s: %d, want %d", a, seen[a], n)
			}
		}
	})
}
