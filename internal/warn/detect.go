package warn

import (
	"cmp"
	"fmt"
	"github.com/luoshi/luoshi/internal/study"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/text"
)

// Unit is a unit of the subtree.
type Unit struct {
	ID   int64
	Code string
	Name string
}

// Closure is a closed ledger item.
type Closure struct {
	ID        int64
	UnitID    int64
	Number    string
	Title     string
	Deadline  string // YYYY-MM-DD
	ClosedOn  string
	Evidence  int    // files on the item
	CloseNote string // the note of its closing request
}

// Note is a progress note.
type Note struct {
	ID     int64
	UnitID int64
	Number string
	Text   string
	At     int64
}

// Reopen is an item reopened by 回头看 in the period.
type Reopen struct {
	ID     int64
	UnitID int64
	Number string
	Title  string
	Note   string
}

// UnitFigures are a unit's own counts for the period.
type UnitFigures struct {
	Due, Closed      int // ledger items due in the period, closed
	Rated, Satisfied int
	Concluded, Prior int // leads concluded, of which as 已查过
}

// ProjectRating is a done project with its public ratings.
type ProjectRating struct {
	ID          int64
	UnitID      int64
	Number      string
	Title       string
	Ratings     int
	Bad         int
	AverageX100 int
}

// Rows are everything the detectors read about a subtree.
type Rows struct {
	Units    []Unit
	Closures []Closure // closed in the period or its baseline (the two periods before)
	Notes    []Note    // progress notes written in the period
	Reopens  []Reopen
	Figures  map[int64]*UnitFigures
	Projects []ProjectRating
	// Copies are the study reflections flagged as copies and not cleared
	// by a reviewer (study.Copies), of any period: Detect keeps the period's.
	Copies []study.Copy
}

func daysBetween(from, to string) (int, bool) {
	a, err1 := time.Parse(time.DateOnly, from)
	b, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int(b.Sub(a).Hours() / 24), true
}

func pct(n, d int) int {
	if d == 0 {
		return 0
	}
	return n * 100 / d
}

func problemLink(id int64) string { return "/problems/" + strconv.FormatInt(id, 10) }

// Detect runs every detector over the rows (pure). Flags come by unit code,
// then in the order of Kinds.
func Detect(r Rows, per score.Period, t Thresholds) []Flag {
	units := map[int64]Unit{}
	for _, u := range r.Units {
		units[u.ID] = u
	}
	var out []Flag
	add := func(unitID int64, kind, subject string, args []any, ev []Evidence, link string) {
		u, ok := units[unitID]
		if !ok {
			return
		}
		out = append(out, Flag{Kind: kind, UnitID: unitID, UnitCode: u.Code, UnitName: u.Name, Subject: subject, Args: args, Evidence: ev, Link: link})
	}
	from, to := per.FromDay(), per.ToDay()
	ledgerLink := func(code string, extra url.Values) string {
		v := url.Values{"unit": {code}, "direct": {"1"}}
		for k, vs := range extra {
			v[k] = vs
		}
		return "/problems?" + v.Encode()
	}
	byUnit := func(f func(u Unit)) {
		for _, u := range r.Units {
			f(u)
		}
	}

	// closures just before the deadline, against the unit's own baseline
	type bunch struct {
		n, near, baseN, baseNear int
		ev                       []Evidence
	}
	bunches := map[int64]*bunch{}
	for _, c := range r.Closures {
		d, ok := daysBetween(c.ClosedOn, c.Deadline)
		if !ok {
			continue
		}
		b := bunches[c.UnitID]
		if b == nil {
			b = &bunch{}
			bunches[c.UnitID] = b
		}
		near := d >= 0 && d <= t.BunchDays
		if c.ClosedOn >= from && c.ClosedOn <= to {
			b.n++
			if near {
				b.near++
				b.ev = append(b.ev, Evidence{Ref: c.Number, Title: c.Title, Note: c.ClosedOn + " / " + c.Deadline, Link: problemLink(c.ID)})
			}
		} else if c.ClosedOn < from {
			b.baseN++
			if near {
				b.baseNear++
			}
		}
	}
	byUnit(func(u Unit) {
		b := bunches[u.ID]
		if b == nil || b.n < t.BunchMin {
			return
		}
		share := pct(b.near, b.n)
		base := pct(b.baseNear, b.baseN)
		// with no baseline, the share alone decides; otherwise it must also
		// stand out against the unit's own habit
		if share < t.BunchShare || (b.baseN > 0 && share*100 < base*t.BunchFactor) {
			return
		}
		add(u.ID, Bunching, per.Key, []any{b.near, b.n, share, t.BunchDays, base, b.baseN}, b.ev,
			ledgerLink(u.Code, url.Values{"status": {"closed"}, "closed_from": {from}, "closed_to": {to}}))
	})

	// the same progress note on many items
	notes := map[int64][]Note{}
	for _, n := range r.Notes {
		notes[n.UnitID] = append(notes[n.UnitID], n)
	}
	byUnit(func(u Unit) {
		ns := notes[u.ID]
		if len(ns) < t.NoteItems {
			return
		}
		items := make([]text.Item, len(ns))
		for i, n := range ns {
			items[i] = text.Item{ID: strconv.Itoa(i), Body: n.Text, Time: time.UnixMilli(n.At)}
		}
		var ev []Evidence
		groups, repeated := 0, 0
		for _, is := range text.Group(items, text.GroupOptions{Threshold: float64(t.NoteSimilarity) / 100}) {
			distinct := map[string]int64{}
			var refs []string
			for _, id := range is.IDs {
				i, _ := strconv.Atoi(id)
				if _, ok := distinct[ns[i].Number]; !ok {
					distinct[ns[i].Number] = ns[i].ID
					refs = append(refs, ns[i].Number)
				}
			}
			if len(distinct) < t.NoteItems {
				continue
			}
			groups++
			repeated += len(is.IDs)
			i, _ := strconv.Atoi(is.IDs[0])
			sample := ns[i].Text
			if utf8.RuneCountInString(sample) > 60 {
				sample = string([]rune(sample)[:60]) + "…"
			}
			slices.Sort(refs)
			for _, ref := range refs {
				ev = append(ev, Evidence{Ref: ref, Note: sample, Link: problemLink(distinct[ref])})
			}
		}
		if groups > 0 {
			add(u.ID, Boilerplate, per.Key, []any{repeated, len(ns), groups}, ev, "")
		}
	})

	// closures with thin evidence
	type thin struct {
		n  int
		ev []Evidence
	}
	thins := map[int64]*thin{}
	for _, c := range r.Closures {
		if c.ClosedOn < from || c.ClosedOn > to {
			continue
		}
		th := thins[c.UnitID]
		if th == nil {
			th = &thin{}
			thins[c.UnitID] = th
		}
		th.n++
		short := utf8.RuneCountInString(strings.TrimSpace(c.CloseNote)) < t.ThinChars
		if c.Evidence == 0 || short {
			note := fmt.Sprintf("%d 📎 · “%s”", c.Evidence, strings.TrimSpace(c.CloseNote))
			th.ev = append(th.ev, Evidence{Ref: c.Number, Title: c.Title, Note: note, Link: problemLink(c.ID)})
		}
	}
	byUnit(func(u Unit) {
		th := thins[u.ID]
		if th == nil || len(th.ev) < t.ThinMin || pct(len(th.ev), th.n) < t.ThinShare {
			return
		}
		add(u.ID, ThinClosure, per.Key, []any{len(th.ev), th.n, t.ThinChars}, th.ev,
			ledgerLink(u.Code, url.Values{"status": {"closed"}, "closed_from": {from}, "closed_to": {to}}))
	})

	// many closures, low satisfaction
	byUnit(func(u Unit) {
		f := r.Figures[u.ID]
		if f == nil || f.Closed < t.LowSatClosed || f.Rated < t.LowSatRated {
			return
		}
		if sat := pct(f.Satisfied, f.Rated); sat < t.LowSatRate {
			add(u.ID, LowSat, per.Key, []any{f.Closed, f.Due, sat, f.Rated}, nil,
				"/ratings?"+url.Values{"unit": {u.Code}, "from": {from}, "to": {to}, "bad": {"1"}}.Encode())
		}
	})

	// reopened by 回头看
	reopens := map[int64][]Evidence{}
	for _, ro := range r.Reopens {
		reopens[ro.UnitID] = append(reopens[ro.UnitID], Evidence{Ref: ro.Number, Title: ro.Title, Note: ro.Note, Link: problemLink(ro.ID)})
	}
	byUnit(func(u Unit) {
		if ev := reopens[u.ID]; len(ev) >= t.ReopenMin {
			add(u.ID, Reopened, per.Key, []any{len(ev)}, ev, ledgerLink(u.Code, url.Values{"status": {"reopened"}}))
		}
	})

	// projects done with poor ratings: one flag per project
	for _, pr := range r.Projects {
		if pr.Ratings < t.ProjectRatings || pct(pr.Bad, pr.Ratings) < t.ProjectBad {
			continue
		}
		add(pr.UnitID, PoorProject, per.Key+"/"+pr.Number, []any{pr.Number, pr.Ratings, pr.Bad, float64(pr.AverageX100) / 100},
			[]Evidence{{Ref: pr.Number, Title: pr.Title, Link: "/staff/projects/" + strconv.FormatInt(pr.ID, 10)}}, "")
	}

	// 查结 by 已查过
	byUnit(func(u Unit) {
		if f, ok := priorDone(u, r.Figures[u.ID], per, t); ok {
			out = append(out, f)
		}
	})

	// 学习教育: reflections handed in this period that copy others or a
	// published template, not cleared as original by a reviewer
	copies := map[int64][]study.Copy{}
	for _, c := range r.Copies {
		if c.SubmittedAt >= per.StartMs() && c.SubmittedAt < per.EndMs() {
			copies[c.UnitID] = append(copies[c.UnitID], c)
		}
	}
	byUnit(func(u Unit) {
		cs := copies[u.ID]
		if len(cs) == 0 {
			return
		}
		var ev []Evidence
		top := 0.0
		for _, c := range cs {
			top = max(top, c.Similarity)
			if len(ev) < 20 { // the most similar first; the link lists them all
				ev = append(ev, Evidence{Ref: c.TaskNumber, Title: c.AuthorName + " · " + c.TaskTitle,
					Note: strconv.Itoa(int(c.Similarity*100+0.5)) + "% · " + c.Source, Link: c.Link})
			}
		}
		add(u.ID, StudyCopy, per.Key, []any{len(cs), int(top*100 + 0.5)}, ev, "/study")
	})

	kindOrder := func(k string) int { return slices.Index(Kinds, k) }
	slices.SortStableFunc(out, func(a, b Flag) int {
		return cmp.Or(cmp.Compare(a.UnitCode, b.UnitCode), cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), cmp.Compare(a.Subject, b.Subject))
	})
	return out
}

// priorDone is the 已查过 flag of unit u from its lead figures f (nil:
// none), if they reach the thresholds. A reader recused from some of the
// unit's leads gets it from the figures without them (recusal.go).
func priorDone(u Unit, f *UnitFigures, per score.Period, t Thresholds) (Flag, bool) {
	if f == nil || f.Prior < t.PriorMin || pct(f.Prior, f.Concluded) < t.PriorShare {
		return Flag{}, false
	}
	return Flag{Kind: PriorDone, UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, Subject: per.Key,
		Args: []any{f.Prior, f.Concluded, pct(f.Prior, f.Concluded)}, Link: "/clues?" + url.Values{"unit": {u.Code}}.Encode()}, true
}
