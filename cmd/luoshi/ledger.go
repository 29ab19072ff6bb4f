package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

const ledgerUsage = `usage:
  luoshi ledger import FILE --unit CODE --as USERNAME [--check]
  luoshi ledger export --as USERNAME --out FILE [--unit CODE] [--status S] [--light L] [--class C]
                       [--source S] [--tag T] [--responsible USER] [--supervised] [--mine]
                       [--deadline-from DAY] [--deadline-to DAY] [--q TEXT] [--sort KEY]`

// ledgerCmd is "luoshi ledger import|export": the ledger as an Excel file,
// with the rights of the person named by --as (the ledger records who did it).
func ledgerCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "import" && args[0] != "export") {
		return &exitError{2, ledgerUsage}
	}
	if args[0] == "import" {
		return ledgerImport(args[1:], stdout, stderr)
	}
	return ledgerExport(args[1:], stdout, stderr)
}

// parseFile is parse with one positional argument (the file) anywhere among the flags.
func parseFile(name string, args []string, stderr io.Writer, extra func(fs *flag.FlagSet)) (*config.Config, []string, error) {
	fs := flag.NewFlagSet("luoshi "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config.Config{}
	cfg.Register(fs)
	extra(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return cfg, pos, cfg.Validate()
}

// actingAs loads the principal the command acts as.
func actingAs(ctx context.Context, db *store.DB, username string) (*org.Principal, error) {
	if username == "" {
		return nil, &exitError{2, "--as USERNAME is required: the ledger records who imported or exported, with that person's rights"}
	}
	u, err := org.UserByUsername(ctx, db.Read, strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return nil, &exitError{2, fmt.Sprintf("--as: no user %q", username)}
	}
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	if err != nil {
		return nil, &exitError{2, fmt.Sprintf("--as: user %q is disabled", username)}
	}
	return p, nil
}

// progressBar draws "导入 [######----] 60% 6000/10000" on w: redrawn in place
// on a terminal, one line per tenth otherwise (a log file or a pipe).
type progressBar struct {
	w     io.Writer
	tty   bool
	label string
	last  int
}

func newProgressBar(w io.Writer, label string) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, tty: tty, label: label, last: -1}
}

func (b *progressBar) update(done, total int) {
	if total <= 0 {
		return
	}
	pct := done * 100 / total
	step := pct / 10
	if !b.tty && step == b.last && done != total {
		return
	}
	if b.tty && pct == b.last && done != total {
		return
	}
	bar := strings.Repeat("#", pct/5) + strings.Repeat("-", 20-pct/5)
	line := fmt.Sprintf("%s [%s] %3d%% %d/%d", b.label, bar, pct, done, total)
	if b.tty {
		fmt.Fprint(b.w, "\r"+line)
		if done == total {
			fmt.Fprintln(b.w)
		}
		b.last = pct
		return
	}
	fmt.Fprintln(b.w, line)
	b.last = step
}

// rowErrorLines prints each bad cell as row, column and reason, in Chinese.
func rowErrorLines(w io.Writer, errs []ledger.RowError, more int) {
	for _, e := range errs {
		col := e.Column
		if col == "" {
			col = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", i18n.T(i18n.ZH, "ui.import.row_n", e.Line), col, i18n.T(i18n.ZH, e.Err.Key, e.Err.Args...))
	}
	if more > 0 {
		fmt.Fprintln(w, i18n.T(i18n.ZH, "ui.pimport.more_errors", more))
	}
}

func ledgerImport(args []string, stdout, stderr io.Writer) error {
	var unit, as string
	var check bool
	cfg, files, err := parseFile("ledger import", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&unit, "unit", "", "unit code the items are recorded in (a 责任单位 cell may name a unit below it)")
		fs.StringVar(&as, "as", "", "username whose rights the import uses and who is recorded as its author")
		fs.BoolVar(&check, "check", false, "check the file and list every error; record nothing")
	})
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return &exitError{2, "give exactly one FILE\n" + ledgerUsage}
	}
	if unit == "" {
		return &exitError{2, "--unit CODE is required"}
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, _, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := actingAs(ctx, db, as)
	if err != nil {
		return err
	}
	sheet, err := ledger.ParseSheet(data)
	if err != nil {
		return err
	}
	l := ledger.New(db, attach.NewOn(cfg.Files()))
	// the preview: every row is checked before anything is written
	if err := l.CheckImport(ctx, p, unit, sheet); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d rows", filepath.Base(files[0]), len(sheet.Rows))
	if len(sheet.Ignored) > 0 {
		fmt.Fprintf(stderr, "; ignored columns: %s", strings.Join(sheet.Ignored, ", "))
	}
	fmt.Fprintln(stderr)
	if len(sheet.Errors) > 0 {
		rowErrorLines(stdout, sheet.Errors, sheet.More)
		return &exitError{4, i18n.T(i18n.EN, "err.xlsx.import_rows", len(sheet.Errors)+sheet.More)}
	}
	if check {
		fmt.Fprintf(stdout, "check passed: %d rows would be recorded in %s\n", len(sheet.Rows), unit)
		return nil
	}
	bar := newProgressBar(stderr, "import")
	res, err := l.Import(ctx, p, unit, filepath.Base(files[0]), sheet, bar.update)
	var ie *ledger.ImportError
	if errors.As(err, &ie) {
		rowErrorLines(stdout, ie.Errors, ie.More)
		return &exitError{4, i18n.T(i18n.EN, "err.xlsx.import_rows", len(ie.Errors)+ie.More)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "recorded %d items (%d drafts), numbers %s to %s\n", res.Created, res.Drafts, res.First, res.Last)
	return nil
}

func ledgerExport(args []string, stdout, stderr io.Writer) error {
	var as, out string
	q := url.Values{}
	var supervised, mine bool
	cfg, extra, err := parseFile("ledger export", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&as, "as", "", "username whose read scope the export uses")
		fs.StringVar(&out, "out", "", "the .xlsx file to write")
		for _, f := range []struct{ flag, param, help string }{
			{"unit", "unit", "unit code: its whole subtree"}, {"status", "status", "status (open, in_progress, …, review_due)"},
			{"light", "light", "green, yellow or red"}, {"class", "class", "immediate, deadline or longterm"},
			{"source", "source", "source code"}, {"tag", "tag", "carries this tag"},
			{"responsible", "responsible", "username of the responsible person"},
			{"deadline-from", "deadline_from", "deadline on or after this day"}, {"deadline-to", "deadline_to", "deadline on or before this day"},
			{"q", "q", "number or title contains"}, {"sort", "sort", "deadline, -deadline, number, -created or light"},
		} {
			fs.Func(f.flag, f.help, func(s string) error { q.Set(f.param, s); return nil })
		}
		fs.BoolVar(&supervised, "supervised", false, "only items under named supervision")
		fs.BoolVar(&mine, "mine", false, "only items the --as person is responsible for")
	})
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return &exitError{2, "unexpected arguments: " + strings.Join(extra, " ") + "\n" + ledgerUsage}
	}
	if out == "" {
		return &exitError{2, "--out FILE is required"}
	}
	if supervised {
		q.Set("supervised", "1")
	}
	if mine {
		q.Set("mine", "1")
	}
	f, err := ledger.ParseFilter(q)
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, _, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := actingAs(ctx, db, as)
	if err != nil {
		return err
	}
	// write beside the target and rename, so a failed export leaves no half file
	tmp, err := os.CreateTemp(filepath.Dir(out), ".luoshi-export-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	l := ledger.New(db, attach.NewOn(cfg.Files()))
	n, err := l.Export(ctx, p, f, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if apperr.As(err) != nil {
			return err
		}
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d items to %s\n", n, out)
	return nil
}
