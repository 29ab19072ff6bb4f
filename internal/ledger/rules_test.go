package ledger

import (
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
)

// weekdays is a calendar where Monday to Friday are working days.
type weekdays struct{}

func (weekdays) WorkdaysBetween(from, to time.Time) int {
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return sign * n
}

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLightOf(t *testing.T) {
	r := DefaultRules()
	// 2026-11-02 is a Monday; the deadline 2026-11-30 is a Monday 20 working days later.
	start, deadline := d("2026-11-02"), d("2026-11-30")
	for _, tc := range []struct {
		name    string
		today   string
		percent int
		status  Status
		want    string
	}{
		{"just opened", "2026-11-02", 0, Open, Green},
		{"on track", "2026-11-16", 50, InProgress, Green},
		{"behind the line by 30 points is still green", "2026-11-16", 20, InProgress, Green},
		{"behind the line by more than 30 points", "2026-11-16", 19, InProgress, Yellow},
		{"three working days before the deadline", "2026-11-25", 90, InProgress, Yellow},
		{"four working days before the deadline", "2026-11-24", 90, InProgress, Green},
		{"on the deadline", "2026-11-30", 90, InProgress, Yellow},
		{"the day after", "2026-12-01", 90, InProgress, Red},
		{"reopened and late", "2026-12-01", 0, Reopened, Red},
		{"awaiting verification is not the unit's delay", "2026-12-05", 100, Pending, Green},
		{"closed", "2026-12-05", 100, Closed, Green},
		{"draft", "2026-12-05", 0, Draft, Green},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LightOf(d(tc.today), start, deadline, tc.percent, tc.status, weekdays{}, r); got != tc.want {
				t.Errorf("LightOf = %s, want %s", got, tc.want)
			}
		})
	}
	if got := LightOf(d("2026-12-01"), start, time.Time{}, 0, Open, weekdays{}, r); got != Green {
		t.Errorf("no deadline: %s", got)
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		from Status
		a    Action
		want Status // "" = refused
	}{
		{Draft, ActSubmit, Open},
		{Open, ActSubmit, ""},
		{Draft, ActProgress, ""},
		{Open, ActProgress, InProgress},
		{Reopened, ActProgress, InProgress},
		{InProgress, ActRequestClose, Pending},
		{Open, ActRequestClose, Pending},
		{Pending, ActProgress, ""},
		{Pending, ActApprove, Closed},
		{Pending, ActReject, InProgress},
		{InProgress, ActApprove, ""},
		{Closed, ActReviewPass, Closed},
		{Closed, ActReviewRecur, Reopened},
		{InProgress, ActReviewRecur, ""},
		{InProgress, ActExtendRequest, InProgress},
		{Closed, ActExtendRequest, ""},
		{Pending, ActSupervise, Pending},
		{Closed, ActSupervise, ""},
		{Draft, ActSupervise, ""},
	} {
		got, err := Next(tc.from, tc.a)
		if tc.want == "" {
			if e := apperr.As(err); e == nil || e.Kind != apperr.Conflict {
				t.Errorf("%s + %s: want a conflict, got %v, %v", tc.from, tc.a, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s + %s = %s, %v; want %s", tc.from, tc.a, got, err, tc.want)
		}
	}
}

func TestCheckVerifier(t *testing.T) {
	item := &Problem{UnitPath: "/1/7/42/", ResponsibleID: 10, LastProgressBy: 11, CloseRequestBy: 12}
	inspector := func(id int64, scope string) *org.Principal {
		return &org.Principal{UserID: id, Grants: []org.Grant{{Role: org.RoleInspector, ScopePath: scope}}}
	}
	leader := func(id int64, scope string) *org.Principal {
		return &org.Principal{UserID: id, Grants: []org.Grant{{Role: org.RoleLeader, ScopePath: scope}}}
	}
	for _, tc := range []struct {
		name string
		p    *org.Principal
		ok   bool
	}{
		{"inspector in scope", inspector(20, "/1/"), true},
		{"inspector of the unit itself", inspector(20, "/1/7/42/"), true},
		{"inspector elsewhere", inspector(20, "/1/8/"), false},
		{"leader of the parent unit", leader(21, "/1/7/"), true},
		{"leader of the unit itself", leader(21, "/1/7/42/"), false},
		{"responsible person, even as inspector", inspector(10, "/1/"), false},
		{"last progress reporter", inspector(11, "/1/"), false},
		{"who asked to close", inspector(12, "/1/"), false},
		{"nobody", nil, false},
	} {
		if err := CheckVerifier(tc.p, item); (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

func TestReminderLevel(t *testing.T) {
	r := DefaultRules() // remind 3 working days ahead, grace 5 working days
	deadline := d("2026-11-30")
	for _, tc := range []struct {
		today string
		want  int
	}{
		{"2026-11-20", 0},
		{"2026-11-25", 1}, // 3 working days left
		{"2026-11-30", 2},
		{"2026-12-01", 3},
		{"2026-12-07", 3}, // 5 working days late
		{"2026-12-08", 4},
	} {
		if got := ReminderLevel(d(tc.today), deadline, InProgress, weekdays{}, r); got != tc.want {
			t.Errorf("%s: level %d, want %d", tc.today, got, tc.want)
		}
	}
	if got := ReminderLevel(d("2026-12-08"), deadline, Pending, weekdays{}, r); got != 0 {
		t.Errorf("pending items are not chased: %d", got)
	}
}

func TestParentPath(t *testing.T) {
	for in, want := range map[string]string{"/1/7/42/": "/1/7/", "/1/7/": "/1/", "/1/": ""} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRulesValidate(t *testing.T) {
	if err := DefaultRules().Validate(); err != nil {
		t.Fatal(err)
	}
	r := DefaultRules()
	r.MaxExtensions = 11
	if err := r.Validate(); err == nil {
		t.Fatal("11 extensions accepted")
	}
	r = DefaultRules()
	r.ReviewDays = map[string]int{ClassDeadline: 30}
	if err := r.Validate(); err == nil {
		t.Fatal("missing review days accepted")
	}
}

func TestInputValidate(t *testing.T) {
	ok := Input{Title: "案件超期未结", Source: "inspection", Class: ClassDeadline, UnitCode: "c1",
		Responsible: "zhang", Measures: "逐案清理", Deadline: "2026-12-31"}
	for _, tc := range []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"complete", func(*Input) {}, ""},
		{"no title", func(in *Input) { in.Title = "  " }, "title"},
		{"bad source", func(in *Input) { in.Source = "rumour" }, "source"},
		{"bad class", func(in *Input) { in.Class = "someday" }, "class"},
		{"no responsible", func(in *Input) { in.Responsible = "" }, "responsible"},
		{"no measures", func(in *Input) { in.Measures = "" }, "measures"},
		{"no deadline", func(in *Input) { in.Deadline = "" }, "deadline"},
		{"draft may lack the three fixes", func(in *Input) { in.Draft, in.Responsible, in.Deadline = true, "", "" }, ""},
		{"origin type without ref", func(in *Input) { in.OriginType = "report" }, "origin_ref"},
		{"too many tags", func(in *Input) {
			in.Tags = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}
		}, "tags"},
	} {
		in := ok
		tc.edit(&in)
		in.Normalize()
		err := in.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if e := apperr.As(err); e == nil || e.Field != tc.field {
			t.Errorf("%s: got %v, want an error on %s", tc.name, err, tc.field)
		}
	}
}
