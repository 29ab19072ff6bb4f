package rating

import (
	"net/url"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/ledger"
)

func TestInputValidate(t *testing.T) {
	long := make([]rune, MaxComment+1)
	for i := range long {
		long[i] = '字'
	}
	cases := []struct {
		name string
		in   Input
		key  string
	}{
		{"five", Input{Level: 5}, ""},
		{"one with dimensions", Input{Level: 1, Dimensions: Dimensions{1, 5, 3}}, ""},
		{"zero", Input{Level: 0}, "err.rating.level"},
		{"six", Input{Level: 6}, "err.rating.level"},
		{"dimension six", Input{Level: 3, Dimensions: Dimensions{Result: 6}}, "err.rating.dimension"},
		{"dimension negative", Input{Level: 3, Dimensions: Dimensions{Efficiency: -1}}, "err.rating.dimension"},
		{"comment at the limit", Input{Level: 3, Comment: string(long[1:])}, ""},
		{"comment too long", Input{Level: 3, Comment: string(long)}, "err.rating.comment.too_long"},
		{"comment not utf-8", Input{Level: 3, Comment: "\xff"}, "err.rating.comment.too_long"},
	}
	for _, c := range cases {
		err := c.in.Validate()
		if c.key == "" && err != nil || c.key != "" && (apperr.As(err) == nil || apperr.As(err).Key != c.key) {
			t.Errorf("%s: %v, want %q", c.name, err, c.key)
		}
	}
}

func TestBadAndWindow(t *testing.T) {
	for lv, want := range map[int]bool{1: true, 2: true, 3: false, 4: false, 5: false} {
		if Bad(lv) != want {
			t.Errorf("Bad(%d)", lv)
		}
	}
	first := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if !CanChange(first, first.Add(7*24*time.Hour)) || CanChange(first, first.Add(7*24*time.Hour+time.Second)) {
		t.Error("the window is 7 days")
	}
}

func TestVisitValidate(t *testing.T) {
	v := Visit{Contact: " 电话 ", Said: "不满意", Reply: " 已答复 "}
	if err := v.Validate(); err != nil || v.Contact != "电话" || v.Reply != "已答复" {
		t.Fatalf("%v %+v", err, v)
	}
	for _, c := range []struct {
		v   Visit
		key string
	}{
		{Visit{Said: "a", Reply: "b"}, "err.rating.contact.required"},
		{Visit{Contact: "a", Reply: "b"}, "err.rating.said.required"},
		{Visit{Contact: "a", Said: "b", Reply: "  "}, "err.rating.reply.required"},
	} {
		if e := apperr.As(c.v.Validate()); e == nil || e.Key != c.key {
			t.Errorf("%+v: %v", c.v, e)
		}
	}
}

func TestCompute(t *testing.T) {
	rows := []Row{
		{Level: 5}, {Level: 4}, {Level: 3},
		{Level: 2, ProblemID: 1, Visited: true, RealName: true},
		{Level: 1, ProblemID: 2, RealName: true},
		{Level: 1, ProblemID: 3, Visited: true},
		{Level: 1, ProblemID: 4, Excluded: true, RealName: true},
	}
	m := Compute(rows, map[int64]ledger.Status{1: ledger.Closed, 2: ledger.Open, 3: ledger.Pending, 4: ledger.Closed})
	if m.Counted != 6 || m.Excluded != 1 || m.Levels != [6]int{0, 2, 1, 1, 1, 1} {
		t.Fatalf("counts %+v", m)
	}
	if m.Satisfaction != (Share{3, 6, 0.5}) || m.Rectified.Num != 1 || m.Rectified.Den != 3 ||
		m.Visited.Num != 2 || m.RealVisited != (Share{1, 2, 0.5}) || m.RealGap != 1 {
		t.Fatalf("shares %+v", m)
	}
	if m.Average != 16.0/6 {
		t.Fatalf("average %v", m.Average)
	}
	if e := Compute(nil, nil); e.Satisfaction.Rate != 0 || e.Average != 0 || e.Counted != 0 {
		t.Fatalf("empty %+v", e)
	}
}

func TestParseFilter(t *testing.T) {
	f, err := ParseFilter(url.Values{"unit": {"k1"}, "level": {"2"}, "bad": {"1"}, "from": {"2026年12月1日"}, "to": {"2026-12-31"}})
	if err != nil || f.Unit != "k1" || f.Level != 2 || !f.Bad || f.From != "2026-12-01" || f.To != "2026-12-31" {
		t.Fatalf("%+v %v", f, err)
	}
	if g, _ := ParseFilter(f.Values()); g != f {
		t.Fatalf("round trip %+v", g)
	}
	for _, v := range []url.Values{{"level": {"0"}}, {"level": {"6"}}, {"level": {"x"}}, {"from": {"tomorrow"}},
		{"from": {"2026-12-02"}, "to": {"2026-12-01"}}} {
		if _, err := ParseFilter(v); apperr.As(err) == nil {
			t.Errorf("%v accepted", v)
		}
	}
}
