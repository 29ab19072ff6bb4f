package web

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// The ledger import (台账导入): upload → preview (the first rows and every
// error with its row, column and reason) → confirm. The preview keeps the
// file in the confirm form itself, so no server keeps anything between the
// two steps (any node may answer the confirm), and the confirm checks
// everything again before it writes, all or nothing.
// The export is the API's GET /api/v1/problems/export.xlsx, linked from the list.

func (s *Server) registerLedgerFilePages() {
	s.handle("GET /problems/import", s.full(s.problemImportPage))
	s.handle("POST /problems/import/preview", s.full(s.problemImportPreview))
	s.handle("POST /problems/import", s.full(s.problemImportConfirm))
}

// importPreviewRows is how many rows the preview shows.
const importPreviewRows = 20

type problemImportData struct {
	Unit     string
	FileName string
	File     string // the upload, base64, carried by the confirm form
	Total    int
	Rows     []ledger.SheetRow
	Errors   []problemImportError
	More     int
	Ignored  string
	Ready    bool // no errors: the confirm button shows
	Result   *ledger.ImportResult
}

type problemImportError struct {
	Row     int
	Column  string
	Message string
}

func (s *Server) problemImportPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, org.ProblemWrite) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.pimport.title", "problems")
	pg.D = problemImportData{Unit: p.UnitCode}
	s.render(w, r, http.StatusOK, "problem_import", pg)
}

// importForm reads the unit and the file: an upload (preview) or the
// base64 copy the preview put in the confirm form.
func (s *Server) importForm(w http.ResponseWriter, r *http.Request, p *org.Principal) (unit, name string, data []byte, err error) {
	// base64 grows the file by a third; the envelope adds a little
	r.Body = http.MaxBytesReader(w, r.Body, ledger.MaxSheetBytes*4/3+256<<10)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", "", nil, apperr.Invalidf("file", "err.web.file_too_large", ledger.MaxSheetBytes>>20)
		}
		return "", "", nil, apperr.Invalidf("file", "err.web.no_file")
	}
	unit = strings.TrimSpace(r.FormValue("unit"))
	if unit == "" {
		unit = p.UnitCode
	}
	if enc := r.FormValue("data"); enc != "" {
		data, err = base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return unit, "", nil, apperr.Invalidf("file", "err.xlsx.not_xlsx")
		}
		return unit, r.FormValue("name"), data, nil
	}
	f, h, err := r.FormFile("file")
	if err != nil {
		return unit, "", nil, apperr.Invalidf("file", "err.web.no_file")
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, ledger.MaxSheetBytes+1))
	if err != nil {
		return unit, "", nil, apperr.Invalidf("file", "err.xlsx.not_xlsx")
	}
	if len(data) > ledger.MaxSheetBytes {
		return unit, "", nil, apperr.Invalidf("file", "err.web.file_too_large", ledger.MaxSheetBytes>>20)
	}
	return unit, h.Filename, data, nil
}

func (s *Server) problemImportPreview(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	s.problemImport(w, r, p, false)
}

func (s *Server) problemImportConfirm(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	s.problemImport(w, r, p, true)
}

func (s *Server) problemImport(w http.ResponseWriter, r *http.Request, p *org.Principal, write bool) {
	if !org.CanAnywhere(p, org.ProblemWrite) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	// a large sheet may take longer than the server's usual write deadline
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Minute))
	pg := s.newPage(r, "ui.pimport.title", "problems")
	d := problemImportData{Unit: p.UnitCode}
	fail := func(err error) {
		if s.hardError(w, r, err) {
			return
		}
		st := s.formError(r, pg, "import", err)
		if st == http.StatusNotFound || st == http.StatusForbidden {
			st = http.StatusBadRequest
		}
		pg.D = d
		s.render(w, r, st, "problem_import", pg)
	}
	unit, name, data, err := s.importForm(w, r, p)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	d.Unit = unit
	if err != nil {
		fail(err)
		return
	}
	sheet, err := ledger.ParseSheet(data)
	if err != nil {
		fail(err)
		return
	}
	d.FileName, d.Total, d.More = name, len(sheet.Rows), sheet.More
	d.Ignored = strings.Join(sheet.Ignored, "、")
	var errs []ledger.RowError
	if write {
		res, err := s.Ledger.Import(r.Context(), p, unit, name, sheet, nil)
		var ie *ledger.ImportError
		switch {
		case errors.As(err, &ie):
			errs, d.More = ie.Errors, ie.More
		case err != nil:
			fail(err)
			return
		default:
			d.Result = &res
			pg.Flash = pg.T("msg.pimport.done", res.Created, res.First, res.Last)
			pg.D = d
			s.render(w, r, http.StatusOK, "problem_import", pg)
			return
		}
	} else {
		if err := s.Ledger.CheckImport(r.Context(), p, unit, sheet); err != nil {
			fail(err)
			return
		}
		errs = sheet.Errors
	}
	d.Rows = sheet.Rows[:min(importPreviewRows, len(sheet.Rows))]
	for _, e := range errs {
		d.Errors = append(d.Errors, problemImportError{Row: e.Line, Column: e.Column, Message: pg.T(e.Err.Key, e.Err.Args...)})
	}
	st := http.StatusOK
	if len(d.Errors) > 0 {
		pg.Form = "import"
		pg.Error = pg.T("err.xlsx.import_rows", len(d.Errors)+d.More)
		st = http.StatusUnprocessableEntity
	} else {
		d.Ready = true
		d.File = base64.StdEncoding.EncodeToString(data)
	}
	pg.D = d
	s.render(w, r, st, "problem_import", pg)
}
