package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
)

type unitsData struct {
	Roots   []treeNode
	Results []org.Unit // a search
	Search  bool
	Pager   pager
	CanEdit bool
}

// canWriteUnits: may p create or change units anywhere (for showing buttons;
// the capability decides each action itself).
func canWriteUnits(p *org.Principal) bool { return org.CanAnywhere(p, org.UnitWrite) }

func (s *Server) unitsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	ctx := r.Context()
	pg := s.newPage(r, "ui.nav.units", "units")
	pg.flashFrom(r)
	d := unitsData{CanEdit: canWriteUnits(p)}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	pg.Vals.Set("q", q)
	if q != "" {
		off := pageOffset(r)
		units, total, err := org.ListUnits(ctx, s.DB, p, org.UnitFilter{Q: q, Offset: off, Limit: pageSize, IncludeClosed: true})
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		d.Search, d.Results, d.Pager = true, units, newPager(r, off, len(units), total)
	} else {
		roots, err := org.RootUnits(ctx, s.DB, p)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		d.Roots = pg.treeNodes(roots)
	}
	pg.D = d
	s.render(w, r, http.StatusOK, "units", pg)
}

// childrenData is the fragment of one tree level.
type childrenData struct {
	Parent   string
	Units    []treeNode
	Total    int
	NoneText bool
}

const maxChildren = 200

// unitChildren answers htmx with the next level of the tree.
func (s *Server) unitChildren(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	code := r.PathValue("code")
	units, total, err := org.ListUnits(r.Context(), s.DB, p, org.UnitFilter{ParentCode: code, Limit: maxChildren})
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg := s.newPage(r, "ui.nav.units", "units")
	pg.D = childrenData{Parent: code, Units: pg.treeNodes(units), Total: total}
	s.renderPartial(w, "unit_children", pg)
}

// unitPicker answers htmx with units matching what was typed in a unit field.
// The field's own name carries the text (htmx sends the input's value).
func (s *Server) unitPicker(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	field := r.URL.Query().Get("field")
	if field == "" {
		field = "q"
	}
	q := strings.TrimSpace(r.URL.Query().Get(field))
	pg := s.newPage(r, "ui.nav.units", "units")
	var units []org.Unit
	if q != "" {
		var err error
		units, _, err = org.ListUnits(r.Context(), s.DB, p, org.UnitFilter{Q: q, Limit: 20})
		if err != nil {
			s.failPage(w, r, err)
			return
		}
	}
	pg.D = struct {
		Field string
		Units []org.Unit
		Q     string
	}{field, units, q}
	s.renderPartial(w, "unit_picker", pg)
}

func (s *Server) unitNewPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !canWriteUnits(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.units.new", "units")
	pg.Vals.Set("parent_code", r.URL.Query().Get("parent"))
	s.render(w, r, http.StatusOK, "unit_new", pg)
}

func (s *Server) unitCreate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	in := org.UnitInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"),
		ParentCode: r.PostFormValue("parent_code"), Kind: r.PostFormValue("kind")}
	u, err := org.CreateUnit(r.Context(), s.DB, p, in)
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.units.new", "units")
		pg.Vals = r.PostForm
		s.render(w, r, s.formError(r, pg, "unit", err), "unit_new", pg)
		return
	}
	redirect(w, r, "/units/"+pathEscape(u.Code)+"?done=unit_created")
}

// pathEscape escapes a path segment (unit codes may hold dots, which are safe,
// but never trust that).
func pathEscape(s string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F", "?", "%3F", "#", "%23", " ", "%20").Replace(s)
}

type unitData struct {
	Unit       org.Unit
	Crumbs     []org.Unit
	Children   []treeNode
	ChildTotal int
	People     []personRow
	PeopleN    int
	CanEdit    bool
	Robots     robotsData // notification robots (pages_notify.go)
}

func (s *Server) unitPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.nav.units", "units")
	pg.flashFrom(r)
	s.showUnit(w, r, p, pg, http.StatusOK)
}

// showUnit renders the unit page (also after a failed rename, move or close,
// with the error on pg).
func (s *Server) showUnit(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	ctx := r.Context()
	u, err := org.GetUnit(ctx, s.DB, p, r.PathValue("code"))
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := unitData{Unit: u, CanEdit: org.Can(p, org.UnitWrite, u.Path)}
	if d.Crumbs, err = org.Ancestors(ctx, s.DB, u); err != nil {
		s.failPage(w, r, err)
		return
	}
	// ancestors above the reader's scope are shown by name only (no link)
	children, total, err := org.ListUnits(ctx, s.DB, p, org.UnitFilter{Parent: &u, Limit: maxChildren})
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Children, d.ChildTotal = pg.treeNodes(children), total
	if org.Can(p, org.UserRead, u.Path) {
		people, n, err := org.ListUsers(ctx, s.DB, p, org.UserFilter{Unit: &u, Limit: 20})
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		d.People, d.PeopleN = pg.personRows(people), n
	}
	if d.Robots, err = s.unitRobots(ctx, p, u); err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.Title = u.Name
	pg.D = d
	s.render(w, r, status, "unit", pg)
}

// CanSee reports whether the reader may open a unit (breadcrumb links).
func (p *page) CanSee(u org.Unit) bool { return org.Can(p.P, org.UnitRead, u.Path) }

func (s *Server) unitRename(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	code := r.PathValue("code")
	_, err := org.RenameUnit(r.Context(), s.DB, p, code, r.PostFormValue("name"))
	s.afterUnitChange(w, r, p, "rename", code, "unit_renamed", err)
}

func (s *Server) unitMove(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	code := r.PathValue("code")
	_, err := org.MoveUnit(r.Context(), s.DB, p, code, r.PostFormValue("parent_code"))
	s.afterUnitChange(w, r, p, "move", code, "unit_moved", err)
}

func (s *Server) unitClose(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	code := r.PathValue("code")
	var err error
	if r.PostFormValue("confirm") != "yes" {
		err = apperr.Invalidf("confirm", "err.web.close_confirm")
	} else {
		_, err = org.CloseUnit(r.Context(), s.DB, p, code)
	}
	s.afterUnitChange(w, r, p, "close", code, "unit_closed", err)
}

func (s *Server) afterUnitChange(w http.ResponseWriter, r *http.Request, p *org.Principal, form, code, done string, err error) {
	if err == nil {
		redirect(w, r, "/units/"+pathEscape(code)+"?done="+done)
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	pg := s.newPage(r, "ui.nav.units", "units")
	pg.Vals = r.PostForm
	st := s.formError(r, pg, form, err)
	s.showUnit(w, r, p, pg, st)
}

// ---------------------------------------------------------------- import

// maxUpload bounds an uploaded spreadsheet.
const maxUpload = 20 << 20

type importData struct {
	Rows    []importRowError
	Created int
}

type importRowError struct {
	Row     int
	Message string
}

func (s *Server) unitImportPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !canWriteUnits(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.units.import", "units")
	pg.D = importData{}
	s.render(w, r, http.StatusOK, "unit_import", pg)
}

func (s *Server) unitImport(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !canWriteUnits(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.units.import", "units")
	d := importData{}
	fail := func(err error) {
		st := s.formError(r, pg, "import", err)
		pg.D = d
		s.render(w, r, st, "unit_import", pg)
	}
	// the multipart envelope adds a little to the file itself
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+64<<10)
	f, _, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(apperr.Invalidf("file", "err.web.file_too_large", maxUpload>>20))
			return
		}
		fail(apperr.Invalidf("file", "err.web.no_file"))
		return
	}
	defer f.Close()
	rows, lines, err := org.ParseUnitSheet(f)
	if err != nil {
		fail(err)
		return
	}
	n, err := org.ImportUnits(r.Context(), s.DB, p, rows, lines)
	var ie *org.ImportError
	if errors.As(err, &ie) {
		for _, re := range ie.Rows {
			msg := pg.T("err.internal")
			if e := apperr.As(re.Err); e != nil {
				msg = pg.T(e.Key, e.Args...)
			}
			d.Rows = append(d.Rows, importRowError{Row: re.Row, Message: msg})
		}
		pg.Form = "import"
		pg.Error = pg.T("err.web.import_rows", len(ie.Rows))
		pg.D = d
		s.render(w, r, http.StatusBadRequest, "unit_import", pg)
		return
	}
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		fail(err)
		return
	}
	d.Created = n
	pg.Flash = pg.T("msg.unit.imported", n)
	pg.D = d
	s.render(w, r, http.StatusOK, "unit_import", pg)
}

// unitImportTemplate serves an example sheet: the header and two rows below
// the person's own unit, so it imports as is.
func (s *Server) unitImportTemplate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows := [][]string{
		org.UnitSheetHeader,
		{"example-city", "示例市委政法委", p.UnitCode, "city"},
		{"example-county", "示例县委政法委", "example-city", "county"},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = v
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			s.failPage(w, r, err)
			return
		}
	}
	f.SetColWidth(sheet, "A", "D", 20)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="units-template.xlsx"`)
	if err := f.Write(w); err != nil {
		s.Log.Error("template xlsx", "err", err)
	}
}
