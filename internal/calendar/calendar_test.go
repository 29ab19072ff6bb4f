package calendar_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestMain(m *testing.M) {
	org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1}
	os.Exit(m.Run())
}

func day(s string) time.Time {
	t, err := calendar.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestOfficial2026(t *testing.T) {
	c := calendar.Default()
	for _, tc := range []struct {
		day  string
		kind calendar.Kind
	}{
		{"2026-01-01", calendar.Holiday},
		{"2026-01-04", calendar.WorkingWeekend}, // Sunday worked for 元旦
		{"2026-02-14", calendar.WorkingWeekend},
		{"2026-02-16", calendar.Holiday}, // a Monday in the Spring Festival
		{"2026-02-28", calendar.WorkingWeekend},
		{"2026-05-09", calendar.WorkingWeekend},
		{"2026-09-20", calendar.WorkingWeekend},
		{"2026-10-01", calendar.Holiday},
		{"2026-10-07", calendar.Holiday}, // a Wednesday
		{"2026-10-10", calendar.WorkingWeekend},
		{"2026-11-21", calendar.Weekend},
		{"2026-11-23", calendar.Workday},
		{"2025-10-08", calendar.Holiday},
		{"2027-01-01", calendar.Workday}, // not yet published: weekday rule only
	} {
		k, name := c.Kind(day(tc.day))
		if k != tc.kind {
			t.Errorf("%s: %s (%s), want %s", tc.day, k, name, tc.kind)
		}
		if want := k == calendar.Workday || k == calendar.WorkingWeekend; c.IsWorkday(day(tc.day)) != want {
			t.Errorf("%s: IsWorkday disagrees with Kind", tc.day)
		}
	}
	if calendar.Published(2026) == "" || calendar.Published(2027) != "" {
		t.Error("published years")
	}
	// the National Day week: 9-30 (Wed) to 10-09 (Fri) holds 9-30, 10-08, 10-09 and Saturday 10-10
	if n := c.WorkdaysBetween(day("2026-09-30"), day("2026-10-10")); n != 3 {
		t.Errorf("working days after 9-30 to 10-10: %d", n)
	}
}

func TestWorkdayArithmetic(t *testing.T) {
	c := calendar.Default()
	if n := c.WorkdaysBetween(day("2026-11-02"), day("2026-11-30")); n != 20 {
		t.Fatalf("November: %d", n)
	}
	if n := c.WorkdaysBetween(day("2026-11-30"), day("2026-11-02")); n != -20 {
		t.Fatalf("backwards: %d", n)
	}
	if n := c.WorkdaysBetween(day("2026-11-02"), day("2026-11-02")); n != 0 {
		t.Fatalf("same day: %d", n)
	}
	// AddWorkdays inverts WorkdaysBetween on working days, across holidays and years
	start := day("2025-12-20") // a Saturday
	for i := 0; i <= 400; i++ {
		x := c.AddWorkdays(start, i)
		if !c.IsWorkday(x) && i != 0 {
			t.Fatalf("AddWorkdays(%d) = %s, not a working day", i, calendar.FormatDay(x))
		}
		if got := c.WorkdaysBetween(start, x); got != i {
			t.Fatalf("WorkdaysBetween(start, AddWorkdays(start, %d)) = %d", i, got)
		}
	}
	// backwards from a working day: the start counts, the day reached does not
	monday := day("2025-12-22")
	for i := 1; i <= 60; i++ {
		if got := c.WorkdaysBetween(monday, c.AddWorkdays(monday, -i)); got != -i {
			t.Fatalf("back %d: %d", i, got)
		}
	}
	// outside the precomputed years the weekday rule still counts
	if n := c.WorkdaysBetween(day("2099-01-05"), day("2099-01-12")); n != 5 {
		t.Fatalf("2099: %d", n)
	}
	if n := c.WorkdaysBetween(day("2010-01-04"), day("2010-01-11")); n != 5 {
		t.Fatalf("2010: %d", n)
	}
}

func TestToday(t *testing.T) {
	// 17:00 UTC is already the next day in Beijing
	if got := calendar.FormatDay(calendar.Today(time.Date(2026, 11, 22, 17, 0, 0, 0, time.UTC))); got != "2026-11-23" {
		t.Fatal(got)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-01": "2026-03-01", "2026-3-1": "2026-03-01", "2026/3/1": "2026-03-01", "2026.3.1": "2026-03-01",
		"20260301": "2026-03-01", "2026年3月1日": "2026-03-01", "2026年03月01日": "2026-03-01", " 2026 年 3 月 1 号 ": "2026-03-01",
		"２０２６年３月１日": "2026-03-01", "2026年3月1": "2026-03-01", "2028-02-29": "2028-02-29",
	} {
		got, err := calendar.ParseDate(in)
		if err != nil || calendar.FormatDay(got) != want {
			t.Errorf("%q: %v %v", in, calendar.FormatDay(got), err)
		}
	}
	for in, key := range map[string]string{
		"下月底": "err.date.format", "月底": "err.date.format", "明天": "err.date.format", "2026年3月": "err.date.format",
		"": "err.date.format", "2026-02-30": "err.date.invalid", "2027-02-29": "err.date.invalid", "2026-13-01": "err.date.invalid",
		"0001-01-01": "err.date.invalid", "3/1/2026": "err.date.format",
	} {
		_, err := calendar.ParseDate(in)
		if e := apperr.As(err); e == nil || e.Key != key {
			t.Errorf("%q: %v, want %s", in, err, key)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-01", "2026年3月1日", "下月底", "20260301", "２０２６/３/１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := calendar.ParseDate(s)
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("%q: not a user error: %v", s, err)
			}
			return
		}
		// whatever parses is a real day and reads back as itself
		again, err := calendar.ParseDate(calendar.FormatDay(d))
		if err != nil || !again.Equal(d) {
			t.Fatalf("%q → %s does not round-trip: %v", s, calendar.FormatDay(d), err)
		}
	})
}

func TestOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		root := &org.Principal{UserID: 0, Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/1/"}}}
		city := &org.Principal{UserID: 0, Username: "city", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/1/2/"}}}
		c, err := calendar.Load(ctx, db)
		if err != nil || !c.IsWorkday(day("2027-02-08")) {
			t.Fatalf("before: %v", err)
		}
		if err := calendar.SetDay(ctx, db, city, "2027-02-08", false, "春节"); apperr.As(err) != apperr.ErrForbidden {
			t.Fatalf("city admin: %v", err)
		}
		if err := calendar.SetDay(ctx, db, root, "2027年2月8日", false, "春节"); err != nil {
			t.Fatal(err)
		}
		c, err = calendar.Load(ctx, db)
		if err != nil || c.IsWorkday(day("2027-02-08")) {
			t.Fatalf("after set: %v", err)
		}
		if k, name := c.Kind(day("2027-02-08")); k != calendar.Holiday || name != "春节" {
			t.Fatalf("kind %s %s", k, name)
		}
		// an official day can be corrected too
		if err := calendar.SetDay(ctx, db, root, "2026-10-10", false, "改为休息"); err != nil {
			t.Fatal(err)
		}
		if c, _ = calendar.Load(ctx, db); c.IsWorkday(day("2026-10-10")) {
			t.Fatal("override of an official day")
		}
		if err := calendar.ClearDay(ctx, db, root, "2026-10-10"); err != nil {
			t.Fatal(err)
		}
		if c, _ = calendar.Load(ctx, db); !c.IsWorkday(day("2026-10-10")) {
			t.Fatal("cleared override still applies")
		}
		if err := calendar.ClearDay(ctx, db, root, "2026-10-10"); apperr.As(err) != apperr.ErrNotFound {
			t.Fatalf("clear twice: %v", err)
		}
		if err := calendar.SetDay(ctx, db, root, "下月底", true, ""); err == nil {
			t.Fatal("vague day accepted")
		}
		entries, err := audit.List(ctx, db, audit.Filter{ObjectType: "calendar", Limit: 10})
		if err != nil || len(entries) != 3 {
			t.Fatalf("audit: %d %v", len(entries), err)
		}
	})
}

func BenchmarkWorkdaysBetween(b *testing.B) {
	c := calendar.Default()
	from, to := day("2026-01-15"), day("2026-11-23")
	for b.Loop() {
		c.WorkdaysBetween(from, to)
	}
}
