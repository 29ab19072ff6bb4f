package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/warn"
)

// The 民标 and 形式主义预警 demo: one department games its figures in the last
// days through the real ledger workflow (eight items closed the day before
// their deadline, each on the same stock progress note and a three-word
// closing note; two earlier closures reopened by the look-back), so the
// warnings list shows what gaming looks like; the reopening flag is
// dismissed by the province inspector with a reason. The previous quarter's
// scorecards are published with formula version 1, then the formula changes
// (version 2), so a published card shows the version that computed it and
// the explicit republish.

// scoreDemoUnit is the department that games its figures (南山县公安局治安管理大队).
const scoreDemoUnit = "mc-ns-ga-1"

// LoadScore adds the scorecard and warning demo; it needs Load and LoadLedger
// before it. It returns the number of ledger items it added.
func LoadScore(ctx context.Context, db *store.DB, l *ledger.Ledger) (int, error) {
	real := time.Now()
	d := &ledgerDemo{ctx: ctx, l: l, db: db, p: map[string]*org.Principal{}}
	clock := l.Clock
	l.Clock = func() time.Time { return d.now }
	defer func() { l.Clock = clock }()
	creator, err := d.who("mc-ns-ga-h1")
	if err != nil {
		return 0, err
	}
	resp, err := d.who("mc-ns-ga-1-o1")
	if err != nil {
		return 0, err
	}
	insp, err := d.who("mc-ns-inspector")
	if err != nil {
		return 0, err
	}
	city, err := d.who("mc-inspector")
	if err != nil {
		return 0, err
	}
	day := func(n int) string { return calendar.FormatDay(calendar.Today(d.now).AddDate(0, 0, n)) }
	titles := []string{"辖区夜市噪音扰民", "电动车盗窃多发", "校园周边交通秩序混乱", "出租屋消防隐患", "网吧接纳未成年人",
		"广场舞场地纠纷", "农贸市场欺行霸市", "快递网点违规寄递", "老旧小区群租", "河道非法垂钓"}
	n := 0
	create := func(i, daysAgo, span int) (int64, error) {
		d.at(real, daysAgo)
		pr, err := l.Create(ctx, creator, ledger.Input{Title: titles[i%len(titles)], Description: "群众反映,需限期整改。",
			Measures: "开展专项整治,落实责任民警。", Source: "citizen_report", Class: ledger.ClassDeadline, Severity: "normal",
			UnitCode: scoreDemoUnit, Responsible: resp.Username, Deadline: day(span)})
		if err != nil {
			return 0, err
		}
		n++
		return pr.ID, nil
	}
	closeAt := func(id int64, reqAgo, verAgo int, note string) error {
		d.at(real, reqAgo)
		if _, err := l.RequestClose(ctx, resp, id, ledger.CloseInput{Note: note, Files: []ledger.Upload{demoPNG(uint8(id))}}); err != nil {
			return err
		}
		d.at(real, verAgo)
		_, err := l.Verify(ctx, insp, id, true, "同意销号。")
		return err
	}
	// eight closures the day before the deadline, on the same stock note
	for i := range 8 {
		id, err := create(i, 12, 8) // recorded 12 days ago, due 4 days ago
		if err != nil {
			return n, fmt.Errorf("score demo: %w", err)
		}
		d.at(real, 10)
		if _, err := l.Progress(ctx, resp, id, ledger.ProgressInput{Note: "正在积极推进,按计划落实整改措施。", Percent: 50}); err != nil {
			return n, fmt.Errorf("score demo progress: %w", err)
		}
		if err := closeAt(id, 6, 5, "已整改"); err != nil {
			return n, fmt.Errorf("score demo close: %w", err)
		}
	}
	// two closures reopened by the look-back
	for i := 8; i < 10; i++ {
		id, err := create(i, 30, 25)
		if err != nil {
			return n, fmt.Errorf("score demo: %w", err)
		}
		if err := closeAt(id, 16, 15, "已完成整治,巡逻频次已加密,群众反映问题已解决。"); err != nil {
			return n, fmt.Errorf("score demo close: %w", err)
		}
		d.at(real, 2)
		if _, err := l.Review(ctx, city, id, true, "回头看发现问题再次出现,群众再次反映。", day(20)); err != nil {
			return n, fmt.Errorf("score demo review: %w", err)
		}
	}
	l.Clock = clock

	// the previous quarter published with formula version 1, then a new formula
	sys := org.SystemPrincipal()
	s := score.New(db)
	prev := score.Containing(score.Quarter, calendar.Today(real)).Prev()
	if _, err := s.Publish(ctx, sys, prev.Key, false); err != nil {
		return n, fmt.Errorf("score demo publish: %w", err)
	}
	f := score.DefaultFormula()
	f.Weights[score.People], f.Weights[score.Closure] = 45, 20
	f.Note = "加大群众评价权重(演示)"
	if _, err := s.SetFormula(ctx, sys, f); err != nil {
		return n, fmt.Errorf("score demo formula: %w", err)
	}

	// the province inspector sets the reopening flag aside, with the reason kept
	pi, err := d.who("inspector")
	if err != nil {
		return n, err
	}
	cur := score.Containing(score.Quarter, calendar.Today(real))
	w := warn.New(db)
	if err := w.Dismiss(ctx, pi, scoreDemoUnit, cur.Key, warn.Reopened, cur.Key,
		"两件均为季节性反复问题,已纳入长效治理台账另行督办(演示)。"); err != nil && err != apperr.ErrNotFound {
		// not found: the quarter began days ago and the reopenings fell into the previous one
		return n, fmt.Errorf("score demo dismiss: %w", err)
	}
	return n, nil
}
