package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// registerProblemFiles mounts the ledger's spreadsheet endpoints: the
// filtered list as .xlsx, and an all-or-nothing import of a ledger sheet.
func (s *server) registerProblemFiles(authed func(string, handlerFunc)) {
	authed("GET "+Prefix+"/problems/export.xlsx", s.exportProblems)
	authed("POST "+Prefix+"/problems/import", s.importProblems)
}

// problemFilter reads the list's filter from the query string, as GET /problems does.
func problemFilter(r *http.Request) (ledger.Filter, error) {
	q := r.URL.Query()
	for _, name := range []string{"supervised", "mine", "extension_pending"} {
		b, err := parseBool(r, name)
		if err != nil {
			return ledger.Filter{}, err
		}
		q.Set(name, strconv.FormatBool(b))
	}
	for _, k := range []string{"offset", "limit", "page", "per_page"} {
		q.Del(k)
	}
	return ledger.ParseFilter(q)
}

// lazyHeaders sets the download headers with the first byte, so a failure
// before any byte still answers as a JSON error.
type lazyHeaders struct {
	w    http.ResponseWriter
	set  func(http.Header)
	sent bool
}

func (l *lazyHeaders) Write(b []byte) (int, error) {
	if !l.sent {
		l.sent = true
		l.set(l.w.Header())
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(b)
}

// ExportFileName is the download's name: 问题台账-20261102.xlsx.
func ExportFileName(now time.Time) string {
	return i18n.T(i18n.ZH, "ui.xlsx.sheet") + "-" + strings.ReplaceAll(calendar.FormatDay(calendar.Today(now)), "-", "") + ".xlsx"
}

// longWork lifts the server's write deadline for a request that may run for
// minutes (a large export or import); the connection's other limits stay.
func longWork(w http.ResponseWriter) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Minute))
}

func (s *server) exportProblems(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	longWork(w)
	f, err := problemFilter(r)
	if err != nil {
		return err
	}
	lw := &lazyHeaders{w: w, set: func(h http.Header) {
		h.Set("Content-Type", xlsxType)
		h.Set("Content-Disposition", contentDisposition(ExportFileName(time.Now())))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
	}}
	if _, err := s.Ledger.Export(r.Context(), p, f, lw); err != nil {
		if lw.sent {
			// the body has begun: the client sees a truncated file, the log says why
			s.Log.Error("api export", "err", err)
			return nil
		}
		return err
	}
	return nil
}

// importRowBody is one bad cell of an import, as the 422 answer lists it.
type importRowBody struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func rowErrors(lang i18n.Lang, errs []ledger.RowError) []importRowBody {
	out := make([]importRowBody, 0, len(errs))
	for _, e := range errs {
		out = append(out, importRowBody{Row: e.Line, Column: e.Column, Field: e.Err.Field, Message: message(lang, e.Err)})
	}
	return out
}

// previewRows is how many rows a preview shows.
const previewRows = 20

type previewRowBody struct {
	Row         int    `json:"row"`
	Title       string `json:"title"`
	Source      string `json:"source"`
	Class       string `json:"class"`
	Unit        string `json:"unit_code"`
	Responsible string `json:"responsible"`
	Deadline    string `json:"deadline"`
	Draft       bool   `json:"draft"`
}

// importProblems records every row of an uploaded ledger sheet in the unit
// (unit: query parameter or form field; default the principal's unit), or
// none: 422 lists every bad cell as row, column and reason. preview=true
// checks the sheet and answers with its first rows and every error, writing nothing.
func (s *server) importProblems(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	longWork(w)
	preview, err := parseBool(r, "preview")
	if err != nil {
		return err
	}
	unit := r.URL.Query().Get("unit")
	name, data, formUnit, err := readLedgerSheet(w, r)
	if err != nil {
		return err
	}
	if unit == "" {
		unit = formUnit
	}
	if unit == "" {
		unit = p.UnitCode
	}
	sheet, err := ledger.ParseSheet(data)
	if err != nil {
		return err
	}
	lang := i18n.Parse(r.Header.Get("Accept-Language"))
	if preview {
		if err := s.Ledger.CheckImport(r.Context(), p, unit, sheet); err != nil {
			return err
		}
		rows := make([]previewRowBody, 0, previewRows)
		for _, row := range sheet.Rows[:min(previewRows, len(sheet.Rows))] {
			rows = append(rows, previewRowBody{Row: row.Line, Title: row.In.Title, Source: row.In.Source, Class: row.In.Class,
				Unit: row.In.UnitCode, Responsible: row.In.Responsible, Deadline: row.In.Deadline, Draft: row.In.Draft})
		}
		writeJSON(w, http.StatusOK, map[string]any{"unit_code": unit, "total": len(sheet.Rows), "rows": rows,
			"errors": rowErrors(lang, sheet.Errors), "more_errors": sheet.More, "ignored_columns": nonNil(sheet.Ignored)})
		return nil
	}
	res, err := s.Ledger.Import(r.Context(), p, unit, name, sheet, nil)
	var ie *ledger.ImportError
	if errors.As(err, &ie) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{"code": codeImportRows,
			"message": i18n.T(lang, "err.xlsx.import_rows", len(ie.Errors)+ie.More), "rows": rowErrors(lang, ie.Errors),
			"more": ie.More}})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// readLedgerSheet reads the upload: the whole body as .xlsx, or the multipart
// fields file (and unit). It returns the file's name, its bytes and the unit field.
func readLedgerSheet(w http.ResponseWriter, r *http.Request) (string, []byte, string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	limit := int64(ledger.MaxSheetBytes)
	body := http.MaxBytesReader(w, r.Body, limit+1<<20) // room for multipart framing
	tooBig := apperr.New(apperr.Invalid, codeTooLarge, "file", "err.api.file_too_large", limit>>20)
	read := func(src io.Reader) ([]byte, error) {
		data, err := io.ReadAll(io.LimitReader(src, limit+1))
		if tooLarge(err) || int64(len(data)) > limit {
			return nil, tooBig
		}
		if err != nil {
			return nil, apperr.Invalidf("file", "err.xlsx.not_xlsx")
		}
		return data, nil
	}
	switch mt {
	case xlsxType:
		data, err := read(body)
		return "", data, "", err
	case "multipart/form-data":
		r.Body = body
		mr, err := r.MultipartReader()
		if err != nil {
			return "", nil, "", apperr.Invalidf("file", "err.xlsx.not_xlsx")
		}
		unit := ""
		for {
			part, err := mr.NextPart()
			if err != nil {
				if tooLarge(err) {
					return "", nil, "", tooBig
				}
				return "", nil, "", apperr.Invalidf("file", "err.api.file_missing")
			}
			switch part.FormName() {
			case "file":
				data, err := read(part)
				return part.FileName(), data, unit, err
			case "unit":
				b, _ := io.ReadAll(io.LimitReader(part, 200))
				unit = strings.TrimSpace(string(b))
			}
			part.Close()
		}
	}
	return "", nil, "", apperr.New(apperr.Invalid, codeMediaType, "", "err.api.import_content_type")
}

// problemFilesDoc adds the spreadsheet endpoints to the OpenAPI document.
func problemFilesDoc(paths, schemas obj) {
	filters := []any{
		query("unit", "unit code: items of this unit's subtree", obj{"type": "string"}),
		query("status", "status, or review_due", obj{"type": "string", "enum": append(statusNames(), "review_due")}),
		query("light", "traffic light", obj{"type": "string", "enum": ledger.Lights}),
		query("class", "class", obj{"type": "string", "enum": ledger.Classes}),
		query("source", "source", obj{"type": "string", "enum": ledger.Sources}),
		query("tag", "carries this tag", obj{"type": "string"}),
		query("responsible", "username of the responsible person", obj{"type": "string"}),
		query("supervised", "only items under named supervision (挂牌督办)", obj{"type": "boolean", "default": false}),
		query("mine", "only items the principal is responsible for", obj{"type": "boolean", "default": false}),
		query("extension_pending", "only items with an extension request awaiting a decision", obj{"type": "boolean", "default": false}),
		query("deadline_from", "deadline on or after this day (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
		query("deadline_to", "deadline on or before this day (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
		query("q", "number or title contains", obj{"type": "string"}),
		query("sort", "order, as the list", obj{"type": "string", "enum": ledger.Sorts}),
	}
	paths["/api/v1/problems/export.xlsx"] = obj{
		"get": op("exportProblems", "problems", "Every item GET /problems would list for the same filters (all pages), as an .xlsx ledger: 序号, 问题编号, 问题描述, 问题来源, 整改类别, 整改措施, 责任单位, 责任人, 完成时限, 整改进度, 状态, 红黄绿灯, 销号日期, 回头看结果. Leaves an audit entry.",
			filters, nil, obj{"200": obj{"description": "the workbook, as a download",
				"headers": obj{"Content-Disposition": obj{"description": "attachment; filename=\"…\"; filename*=UTF-8''问题台账-YYYYMMDD.xlsx",
					"schema": obj{"type": "string"}}},
				"content": obj{xlsxType: obj{"schema": obj{"type": "string", "contentMediaType": xlsxType}}}}},
			"400"),
	}
	paths["/api/v1/problems/import"] = obj{
		"post": op("importProblems", "problems", "Record every row of a ledger sheet as a new item (same checks, numbers, timeline and audit as POST /problems), or none",
			[]any{
				query("unit", "unit code the items are recorded in (a 责任单位 cell may name a unit below it); default the principal's unit; also accepted as a form field", obj{"type": "string"}),
				query("preview", "check only: answer with the first rows and every error, write nothing", obj{"type": "boolean", "default": false}),
			},
			obj{"required": true, "description": "The first sheet: an optional title line, a header row naming at least 问题描述 (or 问题内容/问题表现), 问题来源, 整改类别, 整改措施, 责任人 (or 责任领导/责任人员) and 完成时限 (or 整改时限/完成时间), then one item per row. 责任单位, 状态 (empty, 待整改 or 草稿), 问题标题, 严重程度 and 标签 are read when present; 问题编号 and the state columns of an export are ignored. Formula cells are refused. At most 20 MB and 20000 rows.",
				"content": obj{
					xlsxType: obj{"schema": obj{"type": "string", "contentMediaType": xlsxType}},
					"multipart/form-data": obj{"schema": object([]string{"file"}, obj{
						"unit": str("unit code (optional)"),
						"file": obj{"type": "string", "contentMediaType": xlsxType}})},
				}},
			obj{"200": obj{"description": "every row was recorded (or, with preview=true, the check's result)",
				"content": obj{"application/json": obj{"schema": obj{"oneOf": []any{schemaRef("ProblemImportResult"), schemaRef("ProblemImportPreview")}}}}},
				"422": ok("some cells are wrong; nothing was recorded", "ProblemImportError")},
			"400", "413", "415"),
	}
	rowErr := object([]string{"row", "column", "field", "message"}, obj{
		"row":     integer("row number in the sheet, as the spreadsheet shows it"),
		"column":  str("the column's header as written in the file"),
		"field":   str("the item field concerned (deadline, responsible, …); empty for the whole row"),
		"message": str("what is wrong, in the language of Accept-Language"),
	})
	schemas["ProblemImportResult"] = object([]string{"created", "drafts"}, obj{
		"created":      integer("items recorded"),
		"drafts":       integer("of which in draft (状态 草稿)"),
		"first_number": str("number of the first new item"),
		"last_number":  str("number of the last new item"),
	})
	schemas["ProblemImportPreview"] = object([]string{"unit_code", "total", "rows", "errors", "more_errors", "ignored_columns"}, obj{
		"unit_code": str("the unit the import records in"),
		"total":     integer("data rows in the sheet"),
		"rows": obj{"type": "array", "description": "the first 20 rows as they would be recorded", "items": object(
			[]string{"row", "title", "source", "class", "unit_code", "responsible", "deadline", "draft"}, obj{
				"row": integer("row number"), "title": str("title"), "source": str("source code"), "class": str("class code"),
				"unit_code": str("resolved unit"), "responsible": str("resolved username"), "deadline": str("YYYY-MM-DD"),
				"draft": boolean("recorded as draft")})},
		"errors":          obj{"type": "array", "items": rowErr},
		"more_errors":     integer("errors beyond the 1000 listed"),
		"ignored_columns": obj{"type": "array", "items": obj{"type": "string"}, "description": "headers not recognised"},
	})
	schemas["ProblemImportError"] = object([]string{"error"}, obj{"error": object([]string{"code", "message", "rows", "more"}, obj{
		"code":    obj{"type": "string", "const": codeImportRows},
		"message": str("summary"),
		"rows":    obj{"type": "array", "items": rowErr},
		"more":    integer("errors beyond the 1000 listed"),
	})})
}
