// Package calendar is the working-day calendar deadlines are counted on: the
// official public holidays and the weekend days that are working days (调休),
// shipped in official.txt, plus the days administrators enter or correct.
//
// Days are civil days, represented as time.Time values at 00:00 UTC.
package calendar

import (
	"bufio"
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

//go:embed official.txt
var officialText string

// china is China Standard Time: no daylight saving, so a fixed zone is exact.
var china = time.FixedZone("CST", 8*3600)

// Today returns the civil day in China at instant now.
func Today(now time.Time) time.Time {
	y, m, d := now.In(china).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDay reads a stored day "2006-01-02".
func ParseDay(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

// FormatDay writes a day as "2006-01-02".
func FormatDay(t time.Time) string { return t.Format(time.DateOnly) }

// Kind says what a day is.
type Kind string

const (
	Workday        Kind = "workday"         // an ordinary working day
	Weekend        Kind = "weekend"         // an ordinary rest day
	Holiday        Kind = "holiday"         // a public holiday or a day off moved onto a weekday
	WorkingWeekend Kind = "working_weekend" // a weekend day worked to make up for a holiday (调休上班)
)

// Special is a day that differs from the weekday rule.
type Special struct {
	Day     string `json:"day"`
	Workday bool   `json:"workday"`
	Name    string `json:"name"`
	// Override is true for a day an administrator entered (it wins over the official table).
	Override bool `json:"override"`
}

// official is the parsed official.txt.
var official = func() struct {
	days      map[string]Special
	published map[int]string
} {
	o := struct {
		days      map[string]Special
		published map[int]string
	}{map[string]Special{}, map[int]string{}}
	sc := bufio.NewScanner(strings.NewReader(officialText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if f[0] == "published" && len(f) >= 3 {
			y, err := strconv.Atoi(f[1])
			if err != nil {
				panic("calendar: bad line " + line)
			}
			o.published[y] = strings.Join(f[2:], " ")
			continue
		}
		if len(f) < 3 || (f[1] != "holiday" && f[1] != "workday") {
			panic("calendar: bad line " + line)
		}
		if _, err := ParseDay(f[0]); err != nil {
			panic("calendar: bad day " + line)
		}
		o.days[f[0]] = Special{Day: f[0], Workday: f[1] == "workday", Name: strings.Join(f[2:], " ")}
	}
	return o
}()

// Range of years the calendar precomputes; outside it days follow the weekday rule.
const (
	firstYear = 2015
	lastYear  = 2045
)

var epoch = time.Date(firstYear, 1, 1, 0, 0, 0, 0, time.UTC)
var end = time.Date(lastYear+1, 1, 1, 0, 0, 0, 0, time.UTC)

// Calendar answers working-day questions in constant time: prefix[i] counts
// the working days among the first i days from the epoch.
type Calendar struct {
	special map[string]Special
	work    []bool
	prefix  []int32
}

// build makes a calendar of the official table with the overrides on top.
func build(overrides []Special) *Calendar {
	c := &Calendar{special: make(map[string]Special, len(official.days)+len(overrides))}
	for k, v := range official.days {
		c.special[k] = v
	}
	for _, o := range overrides {
		o.Override = true
		c.special[o.Day] = o
	}
	n := int(end.Sub(epoch).Hours() / 24)
	c.work = make([]bool, n)
	c.prefix = make([]int32, n+1)
	for i := 0; i < n; i++ {
		d := epoch.AddDate(0, 0, i)
		c.work[i] = c.workday(d)
		c.prefix[i+1] = c.prefix[i]
		if c.work[i] {
			c.prefix[i+1]++
		}
	}
	return c
}

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// workday decides a day from the table (used while building).
func (c *Calendar) workday(d time.Time) bool {
	if s, ok := c.special[FormatDay(d)]; ok {
		return s.Workday
	}
	return !weekend(d)
}

func index(d time.Time) (int, bool) {
	if d.Before(epoch) || !d.Before(end) {
		return 0, false
	}
	return int(d.Sub(epoch).Hours() / 24), true
}

// IsWorkday reports whether d is a working day.
func (c *Calendar) IsWorkday(d time.Time) bool {
	if i, ok := index(d); ok {
		return c.work[i]
	}
	return c.workday(d)
}

// Kind says what day d is, with the holiday's name where it has one.
func (c *Calendar) Kind(d time.Time) (Kind, string) {
	s, ok := c.special[FormatDay(d)]
	switch {
	case ok && s.Workday && weekend(d):
		return WorkingWeekend, s.Name
	case ok && !s.Workday:
		return Holiday, s.Name
	case weekend(d):
		return Weekend, ""
	}
	return Workday, s.Name
}

// upto counts the working days from the epoch up to and including d.
func (c *Calendar) upto(d time.Time) int {
	if i, ok := index(d); ok {
		return int(c.prefix[i+1])
	}
	// outside the precomputed years: walk from the nearest edge (rare)
	if d.Before(epoch) {
		n := 0
		for x := d.AddDate(0, 0, 1); x.Before(epoch); x = x.AddDate(0, 0, 1) {
			if c.workday(x) {
				n++
			}
		}
		return -n
	}
	n := int(c.prefix[len(c.prefix)-1])
	for x := end; !x.After(d); x = x.AddDate(0, 0, 1) {
		if c.workday(x) {
			n++
		}
	}
	return n
}

// WorkdaysBetween counts the working days after from up to and including to;
// it is negative when to is before from and 0 when they are equal.
func (c *Calendar) WorkdaysBetween(from, to time.Time) int { return c.upto(to) - c.upto(from) }

// AddWorkdays returns the day n working days after d (before it when n < 0).
// With n = 0 it returns d itself.
func (c *Calendar) AddWorkdays(d time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// Specials lists the special days of a year, in order.
func (c *Calendar) Specials(year int) []Special {
	var out []Special
	prefix := strconv.Itoa(year) + "-"
	for k, v := range c.special {
		if strings.HasPrefix(k, prefix) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b Special) int { return strings.Compare(a.Day, b.Day) })
	return out
}

// Published returns the official notice a year's holidays come from, or "" when
// the calendar ships no official arrangement for that year.
func Published(year int) string { return official.published[year] }

// Default is the official calendar without any administrator's changes.
var Default = sync.OnceValue(func() *Calendar { return build(nil) })

// cache keeps the calendar per database, rebuilt when the overrides change.
var cache sync.Map // *store.DB → *cached

type cached struct {
	version string
	cal     *Calendar
}

// Load returns the calendar in force: the official table with the
// administrators' days on top. It costs one small query when nothing changed,
// so callers load it per request; a change made on another server process is
// seen at the next Load.
func Load(ctx context.Context, db *store.DB) (*Calendar, error) {
	var n int
	var last int64
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM calendar_days`).Scan(&n, &last); err != nil {
		return nil, err
	}
	if n == 0 {
		return Default(), nil
	}
	version := fmt.Sprintf("%d/%d", n, last)
	if c, ok := cache.Load(db); ok && c.(*cached).version == version {
		return c.(*cached).cal, nil
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT day, workday, name FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var over []Special
	for rows.Next() {
		var s Special
		if err := rows.Scan(&s.Day, &s.Workday, &s.Name); err != nil {
			return nil, err
		}
		over = append(over, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c := build(over)
	cache.Store(db, &cached{version: version, cal: c})
	return c, nil
}

const maxNameRunes = 30

// SetDay records that day is (or is not) a working day, overriding the
// official table; only an administrator of the whole tree may.
func SetDay(ctx context.Context, db *store.DB, p *org.Principal, day string, workday bool, name string) error {
	if !org.IsRootAdmin(p) {
		return apperr.ErrForbidden
	}
	d, err := ParseDate(day)
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxNameRunes || strings.ContainsAny(name, "\r\n\t") {
		return apperr.Invalidf("name", "err.calendar.name", maxNameRunes)
	}
	ds := FormatDay(d)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_days (day, workday, name, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (day) DO UPDATE SET workday = excluded.workday, name = excluded.name,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`, ds, boolInt(workday), name, p.UserID, store.Now()); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "calendar.set_day", ObjectType: "calendar",
			ObjectID: ds, Detail: map[string]any{"workday": workday, "name": name}})
		return err
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ClearDay removes an administrator's entry for day; the official table applies again.
func ClearDay(ctx context.Context, db *store.DB, p *org.Principal, day string) error {
	if !org.IsRootAdmin(p) {
		return apperr.ErrForbidden
	}
	d, err := ParseDate(day)
	if err != nil {
		return err
	}
	ds := FormatDay(d)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE day = $1`, ds)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.ErrNotFound
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "calendar.clear_day", ObjectType: "calendar", ObjectID: ds})
		return err
	})
}

var (
	dateSep   = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	dateFlat  = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	dateHanzi = regexp.MustCompile(`^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$`)
)

// ParseDate reads a date as people write it: 2026-03-01, 2026-3-1, 2026/3/1,
// 2026.3.1, 20260301, 2026年3月1日 (or 号), with full-width digits too. Vague
// or relative expressions (下月底, 明天, 2026年3月) are refused with a message
// naming the accepted forms.
func ParseDate(s string) (time.Time, error) {
	in := normalizeDigits(strings.TrimSpace(s))
	for _, re := range []*regexp.Regexp{dateSep, dateFlat, dateHanzi} {
		m := re.FindStringSubmatch(in)
		if m == nil {
			continue
		}
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if y < 1900 || y > 2200 || t.Year() != y || int(t.Month()) != mo || t.Day() != d {
			return time.Time{}, apperr.Invalidf("date", "err.date.invalid", s)
		}
		return t, nil
	}
	return time.Time{}, apperr.Invalidf("date", "err.date.format", s)
}

// normalizeDigits turns full-width digits and separators into ASCII.
func normalizeDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '－' || r == '—' || r == '–':
			return '-'
		case r == '／':
			return '/'
		case r == '．':
			return '.'
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
}
