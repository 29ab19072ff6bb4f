package api

import (
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
)

// 群众举报 and 问题线索. The public endpoints need no account; what a client
// sends them is never logged, and the client address is used only for a
// salted, daily-forgotten rate-limit bucket inside the report package.

func (s *server) registerReports(authed func(string, handlerFunc), public func(string, func(http.ResponseWriter, *http.Request) error)) {
	public("POST "+Prefix+"/public/reports", s.publicSubmit)
	public("POST "+Prefix+"/public/reports/lookup", s.publicLookup)

	authed("GET "+Prefix+"/clues", s.listClues)
	authed("GET "+Prefix+"/clues/{id}", s.getClue)
	authed("GET "+Prefix+"/clues/{id}/similar", s.similarClues)
	authed("POST "+Prefix+"/clues/{id}/register", s.registerClue)
	authed("POST "+Prefix+"/clues/{id}/assign", s.assignClue)
	authed("POST "+Prefix+"/clues/{id}/identity", s.clueIdentity)
	authed("POST "+Prefix+"/clues/{id}/conclude", s.concludeClue)
}

type (
	lookupRequest struct {
		Receipt string `json:"receipt"`
		Key     string `json:"key"`
	}
	registerRequest struct {
		Note string `json:"note"`
	}
	assignRequest struct {
		UnitCode       string   `json:"unit_code"`
		NamedUsernames []string `json:"named_usernames"`
		Category       string   `json:"category"`
		Note           string   `json:"note"`
	}
	identityRequest struct {
		Reason string `json:"reason"`
	}
	concludeRequest struct {
		Conclusion    string `json:"conclusion"`
		Form          int    `json:"form"`
		Measure       string `json:"measure"`
		Note          string `json:"note"`
		PriorCase     string `json:"prior_case"`
		PublicOutcome string `json:"public_outcome"`
		Problem       bool   `json:"problem"`
	}
)

// clientAddr is the request's address without the port, for rate limiting only.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// reportUploadLimit bounds a public submission's body: every file at its
// largest, plus the form.
const reportUploadLimit = report.MaxFiles*report.MaxFileSize + 1<<20

// ReadReportForm reads a public multipart form part by part into memory:
// a reporter's files must never be spooled to a temporary file in the clear.
// Fields are capped at 64 KiB, files at report.MaxFileSize, and there are at
// most report.MaxFiles files (in the field "evidence"); empty file inputs
// (no file chosen) are skipped.
func ReadReportForm(w http.ResponseWriter, r *http.Request) (url.Values, []report.Upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, reportUploadLimit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, apperr.New(apperr.Invalid, "bad_request", "", "err.api.form.malformed")
	}
	vals := url.Values{}
	var files []report.Upload
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, uploadError(err)
		}
		name := part.FormName()
		if part.FileName() == "" && name != "evidence" {
			b, err := io.ReadAll(io.LimitReader(part, 64<<10+1))
			if err != nil {
				return nil, nil, uploadError(err)
			}
			if len(b) > 64<<10 {
				return nil, nil, apperr.Invalidf(name, "err.report.too_long", report.MaxContent)
			}
			vals.Add(name, string(b))
			continue
		}
		if name != "evidence" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, report.MaxFileSize+1))
		if err != nil {
			return nil, nil, uploadError(err)
		}
		if part.FileName() == "" && len(data) == 0 {
			continue
		}
		if len(files) == report.MaxFiles {
			return nil, nil, apperr.Invalidf("evidence", "err.report.files.too_many", report.MaxFiles)
		}
		if len(data) > report.MaxFileSize {
			return nil, nil, apperr.Invalidf("evidence", "err.report.files.too_large", part.FileName(), report.MaxFileSize>>20)
		}
		files = append(files, report.Upload{Name: part.FileName(), Data: data})
	}
	return vals, files, nil
}

func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.New(apperr.Invalid, codeTooLarge, "", "err.api.form.too_large", report.MaxFiles, report.MaxFileSize>>20)
	}
	return apperr.New(apperr.Invalid, "bad_request", "", "err.api.form.malformed")
}

// readReport reads a submission: JSON, or multipart/form-data with the same
// JSON in the field "report" and files in "evidence".
func readReport(w http.ResponseWriter, r *http.Request) (report.Input, []report.Upload, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		in, err := readJSON[report.Input](w, r)
		return in, nil, err
	}
	vals, files, err := ReadReportForm(w, r)
	if err != nil {
		return report.Input{}, nil, err
	}
	raw := vals["report"]
	if len(raw) != 1 {
		return report.Input{}, nil, apperr.Invalidf("report", "err.api.form.required", "report")
	}
	in, err := decode[report.Input]("application/json", strings.NewReader(raw[0]))
	return in, files, err
}

func (s *server) publicSubmit(w http.ResponseWriter, r *http.Request) error {
	in, files, err := readReport(w, r)
	if err != nil {
		return err
	}
	rc, err := s.Reports.Submit(r.Context(), in, files, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"receipt": rc.Receipt, "key": report.FormatKey(rc.Key)})
	return nil
}

type lookupBody struct {
	Receipt   string         `json:"receipt"`
	Category  string         `json:"category"`
	Unit      string         `json:"unit"`
	Stage     string         `json:"stage"`
	Subject   string         `json:"subject"`
	RealName  bool           `json:"real_name"`
	Concluded bool           `json:"concluded"`
	Outcome   string         `json:"outcome,omitempty"`
	CreatedAt int64          `json:"created_at"`
	Timeline  []report.Event `json:"timeline"`
}

func (s *server) publicLookup(w http.ResponseWriter, r *http.Request) error {
	in, err := readJSON[lookupRequest](w, r)
	if err != nil {
		return err
	}
	v, err := s.Reports.Lookup(r.Context(), in.Receipt, in.Key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lookupBody{Receipt: v.Receipt, Category: v.Category, Unit: v.UnitName, Stage: v.Stage,
		Subject: v.Subject, RealName: v.RealName, Concluded: v.Concluded, Outcome: v.Outcome, CreatedAt: v.Created,
		Timeline: v.Timeline})
	return nil
}

func (s *server) listClues(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	late, err := parseBool(r, "late")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, total, err := s.Reports.List(r.Context(), p, report.Filter{Status: q.Get("status"), Unit: q.Get("unit"),
		Late: late, Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	writeList(w, items, total, pg)
	return nil
}

func (s *server) getClue(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.Reports.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *server) similarClues(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ms, err := s.Reports.Similar(r.Context(), p, id, 10)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []report.Match{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ms})
	return nil
}

// clueStep runs a step and answers with the lead after it.
func (s *server) clueStep(w http.ResponseWriter, r *http.Request, p *org.Principal, id int64, err error) error {
	if err != nil {
		return err
	}
	l, err := s.Reports.Get(r.Context(), p, id)
	if errors.Is(err, apperr.ErrNotFound) {
		// The step itself moved the lead out of the actor's sight (it now
		// names them or their unit's leader, or went up a level): done, but
		// nothing more to show.
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "visible": false})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *server) registerClue(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[registerRequest](w, r)
	if err != nil {
		return err
	}
	return s.clueStep(w, r, p, id, s.Reports.Register(r.Context(), p, id, in.Note))
}

func (s *server) assignClue(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[assignRequest](w, r)
	if err != nil {
		return err
	}
	return s.clueStep(w, r, p, id, s.Reports.Assign(r.Context(), p, id, report.AssignInput{UnitCode: in.UnitCode,
		Named: in.NamedUsernames, Category: in.Category, Note: in.Note}))
}

func (s *server) clueIdentity(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[identityRequest](w, r)
	if err != nil {
		return err
	}
	ident, err := s.Reports.RevealIdentity(r.Context(), p, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ident)
	return nil
}

func (s *server) concludeClue(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[concludeRequest](w, r)
	if err != nil {
		return err
	}
	return s.clueStep(w, r, p, id, s.Reports.Conclude(r.Context(), p, s.Ledger, id, report.Conclusion(in)))
}

// reportsDoc adds the reporting channel and leads to the OpenAPI document.
func reportsDoc(paths, schemas obj) {
	id := obj{"name": "id", "in": "path", "required": true, "description": "lead id",
		"schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	writes := []string{"400", "403", "404", "409", "413", "415"}
	public := func(o obj) obj { o["security"] = []any{}; delete(o["responses"].(obj), "401"); return o }
	paths["/api/v1/public/reports"] = obj{"post": public(op("submitReport", "public",
		"Submit a report (no account). Answers the receipt and the secret key, once.", nil,
		obj{"required": true, "content": obj{
			"application/json": obj{"schema": schemaRef("ReportCreate")},
			"multipart/form-data": obj{"schema": object([]string{"report"}, obj{
				"report":   str("the ReportCreate document as JSON text"),
				"evidence": obj{"type": "array", "maxItems": report.MaxFiles, "items": obj{"type": "string", "contentMediaType": "application/octet-stream"}},
			})},
		}},
		obj{"201": created("the receipt (查询编码) and the secret key; neither is shown again", "ReportReceipt", false)},
		"400", "413", "415", "429"))}
	paths["/api/v1/public/reports/lookup"] = obj{"post": public(op("lookupReport", "public",
		"Follow a report with its receipt and key. Any mismatch, and a receipt that does not exist, answer 404 alike.", nil,
		jsonBody("ReportLookup"), obj{"200": ok("the report's status and public timeline", "ReportView")}, "400", "404", "429"))}
	paths["/api/v1/clues"] = obj{"get": op("listClues", "clues", "Reports and leads the principal may handle (never those naming them)",
		cat(pageParams, []any{
			query("status", "a status, or open", obj{"type": "string", "enum": toAny(append(statusList(), "open"))}),
			query("unit", "only leads handled in this unit's subtree", obj{"type": "string"}),
			query("late", "only leads with a missed timer", obj{"type": "boolean"}),
		}), nil, obj{"200": ok("a page of leads", "ClueList")}, "400")}
	paths["/api/v1/clues/{id}"] = obj{"parameters": []any{id},
		"get": op("getClue", "clues", "One lead with its timeline (the read is audited)", nil, nil, obj{"200": ok("the lead", "Clue")}, "404")}
	paths["/api/v1/clues/{id}/similar"] = obj{"parameters": []any{id},
		"get": op("similarClues", "clues", "Earlier reports the principal may see that look like the same matter, best first", nil, nil,
			obj{"200": ok("the candidates with their similarity (0–1)", "ClueMatches")}, "404")}
	step := func(opID, summary, body string) obj {
		return obj{"parameters": []any{id}, "post": op(opID, "clues", summary, nil, jsonBody(body), obj{"200": ok("the lead after the step", "Clue")}, writes...)}
	}
	paths["/api/v1/clues/{id}/register"] = step("registerClue", "Accept (受理) and register the report as a lead", "ClueRegister")
	paths["/api/v1/clues/{id}/assign"] = step("assignClue", "Route (分办) the lead to a unit and record the people it names", "ClueAssign")
	paths["/api/v1/clues/{id}/conclude"] = step("concludeClue", "Conclude the lead with its disposition under the 四种形态", "ClueConclude")
	paths["/api/v1/clues/{id}/identity"] = obj{"parameters": []any{id},
		"post": op("clueIdentity", "clues", "Reveal the reporter's identity, with a reason (audited, and shown on the lead's timeline)",
			nil, jsonBody("ClueIdentityRequest"), obj{"200": ok("the identity", "ReporterIdentity")}, writes...)}

	accused := object([]string{"name"}, obj{"name": str("name"), "post": str("post")})
	identity := object([]string{"name", "phone"}, obj{"name": str("name"), "phone": str("phone"),
		"id_number": str("resident ID number"), "address": str("address")})
	schemas["ReporterIdentity"] = identity
	schemas["ReportCreate"] = object([]string{"category", "unit_code", "subject", "content"}, obj{
		"category":  obj{"type": "string", "enum": toAny(report.Categories)},
		"unit_code": str("the unit concerned"),
		"subject":   obj{"type": "string", "maxLength": report.MaxSubject},
		"content":   obj{"type": "string", "maxLength": report.MaxContent},
		"when":      str("when it happened"),
		"where":     str("where it happened"),
		"accused":   obj{"type": "array", "maxItems": report.MaxAccused, "items": accused},
		"reporter":  identity,
	})
	schemas["ReportReceipt"] = object([]string{"receipt", "key"}, obj{"receipt": str("12 digits"), "key": str("20 characters, grouped by dashes")})
	schemas["ReportLookup"] = object([]string{"receipt", "key"}, obj{"receipt": str("receipt"), "key": str("secret key")})
	event := obj{"type": "object", "properties": obj{"kind": str("event kind"), "stage": str("public stage reached"),
		"note": str("message or note"), "detail": str("code"), "at": integer("unix ms"), "actor": str("staff username (staff views only)"),
		"files": obj{"type": "array", "items": obj{"type": "object"}}}}
	schemas["ReportView"] = object([]string{"receipt", "stage", "timeline"}, obj{
		"receipt": str("receipt"), "category": str("category"), "unit": str("unit name"),
		"stage":   strEnum("public stage", append([]string{"received"}, report.Stages...)...),
		"subject": str("subject"), "real_name": boolean("real-name report"), "concluded": boolean("concluded"),
		"outcome": str("conclusion code once concluded"), "created_at": integer("unix ms"),
		"timeline": obj{"type": "array", "items": event},
	})
	clue := obj{"type": "object", "properties": obj{
		"id": integer("id"), "number": str("JB-YYYY-NNNNNN"), "status": obj{"type": "string", "enum": toAny(statusList())},
		"category": str("category"), "unit_code": str("unit concerned"), "handling_unit_code": str("handling unit"),
		"subject": str("subject"), "content": str("content (single lead only)"), "conclusion": str("conclusion"),
		"form": integer("四种形态 1..4, 0 none"), "measure": str("measure"), "ack_due": str("day"), "ack_late": boolean("acknowledgement overdue"),
		"feedback_due": str("day"), "feedback_late": boolean("feedback overdue"), "named_usernames": obj{"type": "array", "items": obj{"type": "string"}},
		"timeline": obj{"type": "array", "items": event},
	}}
	schemas["Clue"] = clue
	schemas["ClueMatches"] = object([]string{"items"}, obj{"items": obj{"type": "array", "items": object(nil, obj{
		"id": integer("lead id"), "number": str("number"), "subject": str("subject"), "status": str("status"),
		"score": obj{"type": "number", "description": "similarity, 0–1"}})}})
	schemas["ClueList"] = listOf("Clue")
	schemas["ClueRegister"] = object(nil, obj{"note": str("note")})
	schemas["ClueAssign"] = object(nil, obj{"unit_code": str("unit to investigate (default: the handling unit)"),
		"named_usernames": obj{"type": "array", "items": obj{"type": "string"}},
		"category": obj{"type": "string", "enum": toAny(report.Categories),
			"description": "the corrected category, where the filed one is wrong (default: unchanged); the routing models learn from it"},
		"note": str("note")})
	schemas["ClueIdentityRequest"] = object([]string{"reason"}, obj{"reason": str("why the identity is needed (recorded)")})
	schemas["ClueConclude"] = object([]string{"conclusion"}, obj{
		"conclusion": obj{"type": "string", "enum": toAny(report.Conclusions)},
		"form":       obj{"type": "integer", "minimum": 0, "maximum": 4},
		"measure":    str("measure fitting the form"), "note": str("note"),
		"prior_case": str("earlier case number (for prior_handled)"), "public_outcome": str("anonymized outcome to publish"),
		"problem": boolean("spawn a ledger item for the systemic fix"),
	})
}

func statusList() []string {
	out := make([]string, len(report.Statuses))
	for i, s := range report.Statuses {
		out[i] = string(s)
	}
	return out
}
