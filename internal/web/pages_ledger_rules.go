package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// ledgerRuleFields are the integer fields of the ledger rules form, in order.
var ledgerRuleFields = []string{"yellow_days", "lag_points", "remind_days", "grace_days", "max_extensions"}

// parseLedgerRules reads the rules form; a field that is not a whole number
// is reported on that field.
func parseLedgerRules(r *http.Request) (ledger.Rules, error) {
	rules := ledger.DefaultRules()
	ints := map[string]*int{"yellow_days": &rules.YellowDays, "lag_points": &rules.LagPoints,
		"remind_days": &rules.RemindDays, "grace_days": &rules.GraceDays, "max_extensions": &rules.MaxExtensions}
	read := func(field string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
		if err != nil {
			return 0, apperr.Invalidf(field, "err.rules.number")
		}
		return n, nil
	}
	for _, f := range ledgerRuleFields {
		n, err := read(f)
		if err != nil {
			return rules, err
		}
		*ints[f] = n
	}
	rules.ReviewDays = map[string]int{}
	for _, c := range ledger.Classes {
		n, err := read("review_days_" + c)
		if err != nil {
			return rules, err
		}
		rules.ReviewDays[c] = n
	}
	return rules, nil
}

func (s *Server) settingsLedgerRules(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.IsRootAdmin(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	r.ParseForm()
	rules, err := parseLedgerRules(r)
	if err == nil {
		err = s.Ledger.SetRules(r.Context(), p, rules)
	}
	s.settingsSaved(w, r, "ledger_rules", err, func(d *settingsData) { d.Rules = rules })
}

// settingsSaved finishes a settings form: back to the page with a message, or
// the page again with the error on the form and the values as submitted
// (keep puts them in place of the stored ones).
func (s *Server) settingsSaved(w http.ResponseWriter, r *http.Request, form string, err error, keep func(*settingsData)) {
	if err == nil {
		redirect(w, r, "/settings?done=settings_saved")
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	pg := s.newPage(r, "ui.nav.settings", "settings")
	st := s.formError(r, pg, form, err)
	d := settingsData{Classes: ledger.Classes}
	d.Required, _ = s.settingsRequired(r)
	d.Rules, _ = s.Ledger.Rules(r.Context())
	d.Timers, _ = s.Reports.Timers(r.Context())
	keep(&d)
	pg.D = d
	s.render(w, r, st, "settings", pg)
}

// ruleRow is one number field of the ledger rules form.
type ruleRow struct {
	Field, Label string // form field, catalogue key
	Value        int
	Min, Max     int
}

// RuleRows lists the ledger rules form fields with their current values.
func (d settingsData) RuleRows() []ruleRow {
	r := d.Rules
	rows := []ruleRow{
		{"yellow_days", "ui.rules.yellow_days", r.YellowDays, 0, 60},
		{"lag_points", "ui.rules.lag_points", r.LagPoints, 1, 100},
		{"remind_days", "ui.rules.remind_days", r.RemindDays, 0, 60},
		{"grace_days", "ui.rules.grace_days", r.GraceDays, 0, 60},
		{"max_extensions", "ui.rules.max_extensions", r.MaxExtensions, 0, 10},
	}
	for _, c := range ledger.Classes {
		rows = append(rows, ruleRow{"review_days_" + c, reviewLabels[c], r.ReviewDays[c], 1, 730})
	}
	return rows
}

var reviewLabels = map[string]string{
	ledger.ClassImmediate: "ui.rules.review_immediate",
	ledger.ClassDeadline:  "ui.rules.review_deadline",
	ledger.ClassLongterm:  "ui.rules.review_longterm",
}
