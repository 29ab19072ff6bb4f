package api

import (
	"encoding/json"
	"errors"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// The problem ledger (问题台账). Every rule and every authorization decision
// is the ledger's; the handlers translate HTTP to its calls and back.

func (s *server) registerProblems(authed func(string, handlerFunc)) {
	authed("GET "+Prefix+"/problems", s.listProblems)
	authed("POST "+Prefix+"/problems", s.createProblem)
	authed("GET "+Prefix+"/problems/{id}", s.getProblem)
	authed("PATCH "+Prefix+"/problems/{id}", s.patchProblem)
	authed("GET "+Prefix+"/problems/{id}/events", s.problemEvents)
	authed("GET "+Prefix+"/problems/{id}/attachments/{aid}", s.problemAttachment)
	authed("POST "+Prefix+"/problems/{id}/submit", s.submitProblem)
	authed("POST "+Prefix+"/problems/{id}/progress", s.problemProgress)
	authed("POST "+Prefix+"/problems/{id}/close", s.closeProblem)
	authed("POST "+Prefix+"/problems/{id}/verify", s.verifyProblem)
	authed("POST "+Prefix+"/problems/{id}/review", s.reviewProblem)
	authed("POST "+Prefix+"/problems/{id}/extension", s.requestExtension)
	authed("POST "+Prefix+"/problems/{id}/extension/decide", s.decideExtension)
	authed("POST "+Prefix+"/problems/{id}/supervise", s.superviseProblem)
}

// Request bodies of the ledger (JSON, or multipart/form-data where files come along).
type (
	problemCreateRequest struct {
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Source      string   `json:"source"`
		Class       string   `json:"class"`
		Severity    string   `json:"severity"`
		Tags        []string `json:"tags"`
		UnitCode    string   `json:"unit_code"`
		Responsible string   `json:"responsible"`
		Measures    string   `json:"measures"`
		Deadline    string   `json:"deadline"`
		OriginType  string   `json:"origin_type"`
		OriginRef   string   `json:"origin_ref"`
		Draft       bool     `json:"draft"`
	}
	problemPatchRequest struct {
		Title       *string   `json:"title"`
		Description *string   `json:"description"`
		Source      *string   `json:"source"`
		Class       *string   `json:"class"`
		Severity    *string   `json:"severity"`
		Tags        *[]string `json:"tags"`
		UnitCode    *string   `json:"unit_code"`
		Responsible *string   `json:"responsible"`
		Measures    *string   `json:"measures"`
		Deadline    *string   `json:"deadline"`
		OriginType  *string   `json:"origin_type"`
		OriginRef   *string   `json:"origin_ref"`
	}
	progressRequest struct {
		Note    string `json:"note"`
		Percent *int   `json:"percent"`
	}
	closeRequest struct {
		Note         string `json:"note"`
		Standard     string `json:"standard"`
		MechTitle    string `json:"mech_title"`
		MechDocNo    string `json:"mech_doc_no"`
		MechIssuedOn string `json:"mech_issued_on"`
	}
	verifyRequest struct {
		Approve *bool  `json:"approve"`
		Note    string `json:"note"`
	}
	reviewRequest struct {
		Recurred *bool  `json:"recurred"`
		Note     string `json:"note"`
		Deadline string `json:"deadline"`
	}
	extensionRequest struct {
		Deadline string `json:"deadline"`
		Reason   string `json:"reason"`
	}
	superviseRequest struct {
		IntervalDays *int   `json:"interval_days"`
		Note         string `json:"note"`
	}
)

// problemBody is an item as the API shows it. Values that do not exist yet
// (a draft's deadline, the look-back of an open item) are null.
type problemBody struct {
	ID               int64            `json:"id"`
	Number           string           `json:"number"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Source           string           `json:"source"`
	Class            string           `json:"class"`
	Severity         string           `json:"severity"`
	Tags             []string         `json:"tags"`
	UnitCode         string           `json:"unit_code"`
	UnitName         string           `json:"unit_name"`
	Responsible      *string          `json:"responsible"`
	ResponsibleName  *string          `json:"responsible_name"`
	Measures         string           `json:"measures"`
	Deadline         *string          `json:"deadline"`
	StartDay         string           `json:"start_day"`
	Status           string           `json:"status"`
	Percent          int              `json:"percent"`
	Light            string           `json:"light"`
	Extensions       int              `json:"extensions"`
	ExtensionRequest *extensionBody   `json:"extension_request"`
	ReopenCount      int              `json:"reopen_count"`
	Supervised       bool             `json:"supervised"`
	Supervision      *supervisionBody `json:"supervision"`
	OriginType       *string          `json:"origin_type"`
	OriginRef        *string          `json:"origin_ref"`
	EvidenceCount    int              `json:"evidence_count"`
	CloseStandard    string           `json:"close_standard"`
	ClosedOn         *string          `json:"closed_on"`
	ReviewDue        *string          `json:"review_due"`
	ReviewResult     *string          `json:"review_result"`
	Mechanism        *mechanismBody   `json:"mechanism"`
	CreatedAt        int64            `json:"created_at"`
	UpdatedAt        int64            `json:"updated_at"`
}

type extensionBody struct {
	Deadline string `json:"deadline"`
	Reason   string `json:"reason"`
}

type supervisionBody struct {
	Since        int64  `json:"since"`
	UnitCode     string `json:"unit_code"`
	UnitName     string `json:"unit_name"`
	IntervalDays int    `json:"interval_days"`
	Note         string `json:"note"`
}

type mechanismBody struct {
	Title        string `json:"title"`
	DocNumber    string `json:"doc_number"`
	IssuedOn     string `json:"issued_on"`
	AttachmentID *int64 `json:"attachment_id"`
	URL          string `json:"url,omitempty"`
}

// eventBody is one line of an item's timeline.
type eventBody struct {
	ID         int64          `json:"id"`
	At         int64          `json:"at"`
	Actor      string         `json:"actor"`
	Kind       string         `json:"kind"`
	FromStatus *string        `json:"from_status"`
	ToStatus   *string        `json:"to_status"`
	Note       string         `json:"note"`
	Percent    *int           `json:"percent"`
	Detail     map[string]any `json:"detail"`
	Evidence   []evidenceBody `json:"evidence"`
}

type evidenceBody struct {
	AttachmentID int64  `json:"attachment_id"`
	Name         string `json:"name"`
	MIME         string `json:"mime"`
	Size         int64  `json:"size"`
	URL          string `json:"url"`
}

func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func problemLocation(id int64) string { return Prefix + "/problems/" + strconv.FormatInt(id, 10) }

func attachmentURL(id, aid int64) string {
	return problemLocation(id) + "/attachments/" + strconv.FormatInt(aid, 10)
}

func problemView(pr ledger.Problem) problemBody {
	b := problemBody{ID: pr.ID, Number: pr.Number, Title: pr.Title, Description: pr.Description, Source: pr.Source,
		Class: pr.Class, Severity: pr.Severity, Tags: pr.Tags, UnitCode: pr.UnitCode, UnitName: pr.UnitName,
		Responsible: orNil(pr.Responsible), ResponsibleName: orNil(pr.ResponsibleName), Measures: pr.Measures,
		Deadline: orNil(pr.Deadline), StartDay: pr.StartDay, Status: string(pr.Status), Percent: pr.Percent,
		Light: pr.Light, Extensions: pr.Extensions, ReopenCount: pr.ReopenCount, Supervised: pr.Supervised,
		OriginType: orNil(pr.OriginType), OriginRef: orNil(pr.OriginRef), EvidenceCount: pr.EvidenceCount,
		CloseStandard: pr.CloseStandard, ClosedOn: orNil(pr.ClosedOn), ReviewDue: orNil(pr.ReviewDue),
		ReviewResult: orNil(pr.ReviewResult), CreatedAt: pr.CreatedAt, UpdatedAt: pr.UpdatedAt}
	if b.Tags == nil {
		b.Tags = []string{}
	}
	if pr.ExtDeadline != "" {
		b.ExtensionRequest = &extensionBody{Deadline: pr.ExtDeadline, Reason: pr.ExtReason}
	}
	if pr.Supervised {
		b.Supervision = &supervisionBody{Since: pr.SupervisedAt, UnitCode: pr.SuperviseUnit, UnitName: pr.SuperviseName,
			IntervalDays: pr.SuperviseDays, Note: pr.SuperviseNote}
	}
	if m := pr.Mechanism; m != nil {
		b.Mechanism = &mechanismBody{Title: m.Title, DocNumber: m.DocNo, IssuedOn: m.IssuedOn}
		if m.AttachmentID != 0 {
			aid := m.AttachmentID
			b.Mechanism.AttachmentID = &aid
			b.Mechanism.URL = attachmentURL(pr.ID, aid)
		}
	}
	return b
}

func eventView(problemID int64, e ledger.Event) eventBody {
	b := eventBody{ID: e.ID, At: e.At, Actor: e.Actor, Kind: e.Kind, FromStatus: orNil(string(e.FromStatus)),
		ToStatus: orNil(string(e.ToStatus)), Note: e.Note, Percent: e.Percent, Evidence: []evidenceBody{}}
	if e.Detail != "" {
		var d map[string]any
		if json.Unmarshal([]byte(e.Detail), &d) == nil && len(d) > 0 {
			b.Detail = d
		}
	}
	for _, f := range e.Evidence {
		b.Evidence = append(b.Evidence, evidenceBody{AttachmentID: f.AttachmentID, Name: f.Name, MIME: f.MIME,
			Size: f.Size, URL: attachmentURL(problemID, f.AttachmentID)})
	}
	return b
}

// pathID reads a positive integer path parameter; anything else is 400.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, apperr.Invalidf(name, "err.api.form.id", name)
	}
	return id, nil
}

// writeProblem answers with the item.
func writeProblem(w http.ResponseWriter, status int, pr ledger.Problem) error {
	writeJSON(w, status, problemView(pr))
	return nil
}

func (s *server) listProblems(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	if pg.PerPage > ledger.MaxPage {
		return apperr.Invalidf("per_page", "err.page.invalid")
	}
	q := r.URL.Query()
	// the booleans are refused when misspelt rather than read as false
	for _, name := range []string{"supervised", "mine", "direct"} {
		b, err := parseBool(r, name)
		if err != nil {
			return err
		}
		q.Set(name, strconv.FormatBool(b))
	}
	q.Del("offset") // paging is page/per_page, as on every list
	q.Del("limit")
	f, err := ledger.ParseFilter(q)
	if err != nil {
		return err
	}
	f.Offset, f.Limit = pg.offset(), pg.PerPage
	items, total, err := s.Ledger.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	out := make([]problemBody, 0, len(items))
	for _, pr := range items {
		out = append(out, problemView(pr))
	}
	writeList(w, out, total, pg)
	return nil
}

func (s *server) createProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[problemCreateRequest](w, r)
	if err != nil {
		return err
	}
	pr, err := s.Ledger.Create(r.Context(), p, ledger.Input{Title: in.Title, Description: in.Description,
		Source: in.Source, Class: in.Class, Severity: in.Severity, Tags: in.Tags, UnitCode: in.UnitCode,
		Responsible: in.Responsible, Measures: in.Measures, Deadline: in.Deadline, OriginType: in.OriginType,
		OriginRef: in.OriginRef, Draft: in.Draft})
	if err != nil {
		return err
	}
	w.Header().Set("Location", problemLocation(pr.ID))
	return writeProblem(w, http.StatusCreated, pr)
}

func (s *server) getProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := s.Ledger.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

// patchProblem changes the fields sent and keeps the others. A draft may
// change everything; once the item is open only severity and tags change
// (the 三定 then change through extensions), and sending a different value
// for another field is refused rather than silently ignored.
func (s *server) patchProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[problemPatchRequest](w, r)
	if err != nil {
		return err
	}
	if in == (problemPatchRequest{}) {
		return apperr.Invalidf("", "err.api.patch_empty")
	}
	cur, err := s.Ledger.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	merged := ledger.Input{Title: cur.Title, Description: cur.Description, Source: cur.Source, Class: cur.Class,
		Severity: cur.Severity, Tags: cur.Tags, UnitCode: cur.UnitCode, Responsible: cur.Responsible,
		Measures: cur.Measures, Deadline: cur.Deadline, OriginType: cur.OriginType, OriginRef: cur.OriginRef}
	locked := cur.Status != ledger.Draft
	for _, c := range []struct {
		field string
		v     *string
		dst   *string
	}{
		{"title", in.Title, &merged.Title}, {"description", in.Description, &merged.Description},
		{"source", in.Source, &merged.Source}, {"class", in.Class, &merged.Class},
		{"unit_code", in.UnitCode, &merged.UnitCode}, {"responsible", in.Responsible, &merged.Responsible},
		{"measures", in.Measures, &merged.Measures}, {"deadline", in.Deadline, &merged.Deadline},
		{"origin_type", in.OriginType, &merged.OriginType}, {"origin_ref", in.OriginRef, &merged.OriginRef},
	} {
		if c.v == nil {
			continue
		}
		if locked && !sameValue(c.field, *c.v, *c.dst) {
			return apperr.New(apperr.Conflict, "invalid_state", c.field, "err.api.problem.locked")
		}
		*c.dst = *c.v
	}
	if in.Severity != nil {
		merged.Severity = *in.Severity
	}
	if in.Tags != nil {
		merged.Tags = *in.Tags
	}
	pr, err := s.Ledger.Update(r.Context(), p, id, merged)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

// sameValue reports whether a value sent for a field of an open item is the
// value it has (a client may send the whole item back): dates compare as
// days however they are written, usernames without case.
func sameValue(field, sent, cur string) bool {
	sent = strings.TrimSpace(sent)
	switch field {
	case "deadline":
		if d, err := calendar.ParseDate(sent); err == nil {
			sent = calendar.FormatDay(d)
		}
	case "responsible":
		sent = strings.ToLower(sent)
	}
	return sent == cur
}

func (s *server) problemEvents(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	evs, err := s.Ledger.Events(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := make([]eventBody, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventView(id, e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// problemAttachment sends an evidence or mechanism file as a download: the
// stored content type (checked against the bytes on upload), never sniffed,
// never shown inline.
func (s *server) problemAttachment(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := pathID(r, "aid")
	if err != nil {
		return err
	}
	f, err := s.Ledger.Attachment(r.Context(), p, id, aid)
	if err != nil {
		return err
	}
	file, err := s.Ledger.Files.Open(r.Context(), f)
	if err != nil {
		return err
	}
	defer file.Close()
	h := w.Header()
	h.Set("Content-Type", f.MIME)
	h.Set("Content-Disposition", contentDisposition(f.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", time.UnixMilli(f.CreatedAt), file)
	return nil
}

// contentDisposition names a download: an ASCII fallback for old clients and
// the real (often Chinese) name as RFC 5987 UTF-8 in filename*.
func contentDisposition(name string) string {
	var ascii, enc strings.Builder
	for _, c := range name {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '%' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(c)
		}
	}
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			enc.WriteByte(b)
		} else {
			enc.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(b)>>4, 16)) + strings.ToUpper(strconv.FormatUint(uint64(b)&15, 16)))
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

func (s *server) submitProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := s.Ledger.Submit(r.Context(), p, id)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

func (s *server) problemProgress(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, files, err := readForm[progressRequest](w, r, s.uploadLimit(), "evidence")
	if err != nil {
		return err
	}
	defer files.close()
	if in.Percent == nil {
		return apperr.Invalidf("percent", "err.api.form.required", "percent")
	}
	evidence, err := files.uploads("evidence")
	if err != nil {
		return err
	}
	pr, err := s.Ledger.Progress(r.Context(), p, id, ledger.ProgressInput{Note: in.Note, Percent: *in.Percent, Files: evidence})
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

func (s *server) closeProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, files, err := readForm[closeRequest](w, r, s.uploadLimit(), "evidence", "mech_file")
	if err != nil {
		return err
	}
	defer files.close()
	evidence, err := files.uploads("evidence")
	if err != nil {
		return err
	}
	mech, err := files.uploads("mech_file")
	if err != nil {
		return err
	}
	if len(mech) > 1 {
		return apperr.New(apperr.Invalid, "duplicate_field", "mech_file", "err.api.json_duplicate", "mech_file")
	}
	ci := ledger.CloseInput{Note: in.Note, Standard: in.Standard, Files: evidence}
	// a form sends every field, filled or not: the mechanism counts when something of it is
	if strings.TrimSpace(in.MechTitle+in.MechDocNo+in.MechIssuedOn) != "" || len(mech) > 0 {
		ci.Mechanism = &ledger.MechanismInput{Title: in.MechTitle, DocNo: in.MechDocNo, IssuedOn: in.MechIssuedOn}
		if len(mech) == 1 {
			ci.Mechanism.File = &mech[0]
		}
	}
	pr, err := s.Ledger.RequestClose(r.Context(), p, id, ci)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

func (s *server) verifyProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[verifyRequest](w, r)
	if err != nil {
		return err
	}
	if in.Approve == nil {
		return apperr.Invalidf("approve", "err.api.form.required", "approve")
	}
	pr, err := s.Ledger.Verify(r.Context(), p, id, *in.Approve, in.Note)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

func (s *server) reviewProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[reviewRequest](w, r)
	if err != nil {
		return err
	}
	if in.Recurred == nil {
		return apperr.Invalidf("recurred", "err.api.form.required", "recurred")
	}
	pr, err := s.Ledger.Review(r.Context(), p, id, *in.Recurred, in.Note, in.Deadline)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

func (s *server) requestExtension(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[extensionRequest](w, r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(in.Deadline) == "" {
		return apperr.Invalidf("deadline", "err.problem.deadline.required")
	}
	pr, err := s.Ledger.RequestExtension(r.Context(), p, id, in.Deadline, in.Reason)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

func (s *server) decideExtension(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[verifyRequest](w, r)
	if err != nil {
		return err
	}
	if in.Approve == nil {
		return apperr.Invalidf("approve", "err.api.form.required", "approve")
	}
	pr, err := s.Ledger.DecideExtension(r.Context(), p, id, *in.Approve, in.Note)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

func (s *server) superviseProblem(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[superviseRequest](w, r)
	if err != nil {
		return err
	}
	if in.IntervalDays == nil {
		return apperr.Invalidf("interval_days", "err.api.form.required", "interval_days")
	}
	pr, err := s.Ledger.Supervise(r.Context(), p, id, *in.IntervalDays, in.Note)
	if err != nil {
		return err
	}
	return writeProblem(w, http.StatusOK, pr)
}

// Uploads.

// maxUploadFiles is the most files one request may carry (the ledger's own
// limit per step).
const maxUploadFiles = 20

// formMemory is how much of a multipart body is held in memory; the rest of
// the files spill to temporary files.
const formMemory = 8 << 20

// uploadLimit bounds a request that may carry evidence: every file at the
// attachments store's maximum, plus room for the fields and the framing.
func (s *server) uploadLimit() int64 {
	max := int64(attach.DefaultMaxSize)
	if s.Ledger != nil && s.Ledger.Files != nil && s.Ledger.Files.MaxSize > 0 {
		max = s.Ledger.Files.MaxSize
	}
	return maxUploadFiles*max + 1<<20
}

// formFiles are the files of a multipart request, read back from memory or
// the temporary files ParseMultipartForm wrote.
type formFiles struct {
	form   *multipart.Form
	opened []multipart.File
}

// uploads opens the files sent in the field name.
func (ff *formFiles) uploads(name string) ([]ledger.Upload, error) {
	if ff == nil || ff.form == nil {
		return nil, nil
	}
	hs := ff.form.File[name]
	if len(hs) > maxUploadFiles {
		return nil, apperr.Invalidf(name, "err.problem.too_many_files", maxUploadFiles)
	}
	var out []ledger.Upload
	for _, h := range hs {
		f, err := h.Open()
		if err != nil {
			return nil, err
		}
		ff.opened = append(ff.opened, f)
		out = append(out, ledger.Upload{Name: h.Filename, R: f})
	}
	return out, nil
}

// close releases the files and removes the temporary ones.
func (ff *formFiles) close() {
	if ff == nil {
		return
	}
	for _, f := range ff.opened {
		f.Close()
	}
	if ff.form != nil {
		ff.form.RemoveAll()
	}
}

// readForm reads a body that is either JSON (strictly, like every other body)
// or multipart/form-data whose text parts are the same fields as T's JSON
// names and whose file parts are in fileFields. Other content types are 415;
// a body over limit is 413. The caller closes the returned files.
func readForm[T any](w http.ResponseWriter, r *http.Request, limit int64, fileFields ...string) (T, *formFiles, error) {
	var v T
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		if err == nil && mt == "application/json" {
			v, err = readJSON[T](w, r)
			return v, &formFiles{}, err
		}
		return v, nil, apperr.New(apperr.Invalid, codeMediaType, "", "err.api.form.content_type")
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(formMemory); err != nil {
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
		if tooLarge(err) || errors.Is(err, multipart.ErrMessageTooLarge) {
			perFile := (limit - 1<<20) / maxUploadFiles
			return v, nil, apperr.New(apperr.Invalid, codeTooLarge, "", "err.api.form.too_large",
				maxUploadFiles, (perFile+1<<20-1)>>20)
		}
		return v, nil, apperr.New(apperr.Invalid, "bad_request", "", "err.api.form.malformed")
	}
	ff := &formFiles{form: r.MultipartForm}
	if err := formInto(&v, r.MultipartForm, fileFields); err != nil {
		ff.close()
		return v, nil, err
	}
	return v, ff, nil
}

// formInto sets the fields of *dst (a struct) from the text parts of a form,
// with the same strictness as the JSON decoder: no unknown field, none
// twice, values of the field's type. File parts are allowed only in
// fileFields, and those take nothing else.
func formInto(dst any, form *multipart.Form, fileFields []string) error {
	rv := reflect.ValueOf(dst).Elem()
	fields := map[string]int{}
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			fields[name] = i
		}
	}
	names := make([]string, 0, len(form.Value))
	for name := range form.Value {
		names = append(names, name)
	}
	slices.Sort(names) // the same error for the same body
	for _, name := range names {
		vals := form.Value[name]
		if slices.Contains(fileFields, name) {
			return apperr.Invalidf(name, "err.api.form.file_expected", name)
		}
		i, ok := fields[name]
		if !ok {
			return unknownField(name)
		}
		if len(vals) > 1 {
			return apperr.New(apperr.Invalid, "duplicate_field", name, "err.api.json_duplicate", name)
		}
		if err := setField(rv.Field(i), name, vals[0]); err != nil {
			return err
		}
	}
	for name := range form.File {
		if slices.Contains(fileFields, name) {
			continue
		}
		if _, ok := fields[name]; ok {
			return apperr.Invalidf(name, "err.api.form.text_expected", name)
		}
		return unknownField(name)
	}
	return nil
}

// setField sets a string, integer or boolean field (or a pointer to one) from form text.
func setField(f reflect.Value, name, s string) error {
	t := f.Type()
	if t.Kind() == reflect.Pointer {
		nv := reflect.New(t.Elem())
		if err := setField(nv.Elem(), name, s); err != nil {
			return err
		}
		f.Set(nv)
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return apperr.Invalidf(name, "err.api.form.type", name, "integer")
		}
		f.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return apperr.Invalidf(name, "err.api.form.type", name, "boolean")
		}
		f.SetBool(b)
	default:
		return unknownField(name) // no such form field (lists are JSON-only)
	}
	return nil
}
