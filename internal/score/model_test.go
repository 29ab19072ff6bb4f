package score

import (
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	for _, c := range []struct{ in, kind, from, to, prev string }{
		{"2026-10", Month, "2026-10-01", "2026-10-31", "2026-09"},
		{"2026-01", Month, "2026-01-01", "2026-01-31", "2025-12"},
		{"2026-Q3", Quarter, "2026-07-01", "2026-09-30", "2026-Q2"},
		{"2026-Q1", Quarter, "2026-01-01", "2026-03-31", "2025-Q4"},
		{"2026", Year, "2026-01-01", "2026-12-31", "2025"},
	} {
		p, err := ParsePeriod(c.in)
		if err != nil {
			t.Fatal(c.in, err)
		}
		if p.Key != c.in || p.Kind != c.kind || p.FromDay() != c.from || p.ToDay() != c.to || p.Prev().Key != c.prev {
			t.Errorf("%s: %+v %s %s prev %s", c.in, p, p.FromDay(), p.ToDay(), p.Prev().Key)
		}
	}
	for _, bad := range []string{"", "2026-13", "2026-Q5", "26", "2026-1", "1999", "2026-10-01"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p, _ := ParsePeriod("2026-10")
	// October 1st begins at 2026-09-30 16:00 UTC
	if got := time.UnixMilli(p.StartMs()).UTC(); got != time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC) {
		t.Errorf("start %v", got)
	}
	if n := len(QuarterOf(2026, 3).Days()); n != 92 {
		t.Errorf("Q3 has %d days", n)
	}
}

func TestComputeParts(t *testing.T) {
	f := DefaultFormula()
	in := Inputs{
		Rated: 20, Satisfied: 16, Bad: 4, BadRectified: 2, // people: .75*.8 + .25*.5 = .725
		Due: 10, Closed: 9, ClosedOK: 6, Reopened: 2, ClosedLat: 1, // closure .6
		AckDue: 4, AckMet: 4, ConcludeDue: 2, ConcludeMet: 1, // response 5/6 (sample 6 ≥ 5)
		LongDue: 1, LongClosed: 1, // lasting: sample 1 < 3: 样本不足
	}
	c := Compute(in, f)
	want := map[string]struct {
		enough bool
		score  float64
	}{People: {true, 72.5}, Closure: {true, 60}, Response: {true, 83.33}, Lasting: {false, 0}, Study: {false, 0}}
	for _, p := range c.Parts {
		w := want[p.Key]
		if p.Enough != w.enough || p.Score != w.score {
			t.Errorf("%s: enough %v score %v, want %+v", p.Key, p.Enough, p.Score, w)
		}
	}
	if c.Coverage != 80 || !c.Ranked {
		t.Fatalf("coverage %d ranked %v", c.Coverage, c.Ranked)
	}
	// (40*72.5 + 25*60 + 15*83.333) / 80
	if want := round2((40*72.5 + 25*60 + 15*(500.0/6)) / 80); c.Total != want {
		t.Errorf("total %v, want %v", c.Total, want)
	}
	// the study figures, once known, count like any other part
	in.StudyKnown, in.StudyDue, in.StudyDone, in.StudyOriginal = true, 10, 10, 6
	sc := Compute(in, f)
	if p := sc.Part(Study); !p.Enough || p.Score != 80 {
		t.Errorf("study %+v", p)
	}
	// too little of everything: no total, no rank
	c = Compute(Inputs{Rated: 3, Satisfied: 3, Due: 5, ClosedOK: 5}, f)
	if c.Ranked || c.Coverage != 25 {
		t.Errorf("thin card ranked %v coverage %d", c.Ranked, c.Coverage)
	}
}

func TestFormulaValidate(t *testing.T) {
	f := DefaultFormula()
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	f.Weights[People] = 50
	if f.Validate() == nil {
		t.Error("weights summing to 110 accepted")
	}
	f = DefaultFormula()
	f.MinSample[Closure] = 0
	if f.Validate() == nil {
		t.Error("minimum sample 0 accepted")
	}
}

func TestRankSiblings(t *testing.T) {
	f := DefaultFormula()
	mk := func(code string, parent int64, sat int) Card {
		c := Compute(Inputs{Rated: 10, Satisfied: sat, Due: 5, ClosedOK: 5}, f)
		c.UnitCode, c.ParentID = code, parent
		return c
	}
	cards := []Card{mk("a", 1, 8), mk("b", 1, 10), mk("c", 1, 8), mk("d", 2, 1), Compute(Inputs{}, f)}
	cards[4].UnitCode, cards[4].ParentID = "e", 1
	RankSiblings(cards)
	got := map[string][2]int{}
	for _, c := range cards {
		got[c.UnitCode] = [2]int{c.Rank, c.Of}
	}
	want := map[string][2]int{"b": {1, 3}, "a": {2, 3}, "c": {2, 3}, "d": {1, 1}, "e": {0, 0}}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: rank %v, want %v", k, got[k], w)
		}
	}
	if r := cards[1].Part(People).Rank; r != 1 {
		t.Errorf("part rank %d", r)
	}
	a, b := cards[0], cards[1]
	b.SetTrend(&a)
	if b.Trend != "up" || b.Prev != a.Total {
		t.Errorf("trend %q prev %v", b.Trend, b.Prev)
	}
	a.SetTrend(&b)
	if a.Trend != "down" {
		t.Errorf("trend %q", a.Trend)
	}
}
