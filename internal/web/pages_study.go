package web

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/study"
)

// 学习教育: the task list and form, a task's page (material, the reader's
// reflection, completion by unit and by rank), the review page of a
// reflection with the shared passages highlighted beside their source, and
// the reference corpus with the originality settings.

func (s *Server) registerStudyPages() {
	s.handle("GET /study", s.full(s.studyPage))
	s.handle("GET /study/new", s.full(s.studyNewPage))
	s.handle("POST /study", s.full(s.studyCreate))
	s.handle("GET /study/{id}", s.full(s.studyTaskPage))
	s.handle("GET /study/{id}/files/{aid}", s.full(s.studyFile))
	s.handle("POST /study/{id}/reflections", s.full(s.studySubmit))
	s.handle("GET /study/reflections/{id}", s.full(s.studyReflectionPage))
	s.handle("POST /study/reflections/{id}/review", s.full(s.studyJudge))
	s.handle("GET /study/corpus", s.full(s.studyCorpusPage))
	s.handle("POST /study/corpus", s.full(s.studyCorpusAdd))
	s.handle("POST /study/corpus/{id}/withdraw", s.full(s.studyCorpusWithdraw))
	s.handle("POST /study/settings", s.full(s.studySettings))
}

// CanStudy: everyone signed in has the menu entry (officers submit reflections).
func (p *page) CanStudy() bool { return p.P != nil }

const (
	keyStudyRank   = "ui" + ".study.rank."
	keyStudyKind   = "ui" + ".study.kind."
	keyStudyReview = "ui" + ".study.review."
)

func (p *page) StudyRankName(r string) string   { return p.T(keyStudyRank + r) }
func (p *page) StudyKindName(k string) string   { return p.T(keyStudyKind + k) }
func (p *page) StudyReviewName(r string) string { return p.T(keyStudyReview + r) }
func (p *page) StudyRanks() []string            { return study.Ranks }

// StudyRoles lists the roles a task may be limited to.
func (p *page) StudyRoles() []string {
	out := make([]string, len(study.AudienceRoles))
	for i, r := range study.AudienceRoles {
		out[i] = string(r)
	}
	return out
}

func canIssueAnywhere(p *org.Principal) bool {
	return org.CanAnywhere(p, org.ProblemDecide) || org.CanAnywhere(p, org.UnitWrite)
}

type studyListData struct {
	Items     []study.Task
	Mine      bool
	Pager     pager
	CanNew    bool
	CanCorpus bool
}

func (s *Server) studyPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.study.title", "study")
	d := studyListData{Mine: r.URL.Query().Get("mine") == "1", CanNew: canIssueAnywhere(p), CanCorpus: study.CanManageCorpus(p)}
	off := pageOffset(r)
	items, total, err := s.Study.List(r.Context(), p, study.Filter{Mine: d.Mine, Page: off/pageSize + 1, PerPage: pageSize})
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Items, d.Pager = items, newPager(r, off, len(items), total)
	pg.D = d
	s.render(w, r, http.StatusOK, "study", pg)
}

func (s *Server) studyNewPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !canIssueAnywhere(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.study.new_title", "study")
	due := time.Now().In(cst).AddDate(0, 0, 14).Format(time.DateOnly)
	pg.Vals = url.Values{"unit_code": {p.UnitCode}, "due": {due}}
	s.render(w, r, http.StatusOK, "study_form", pg)
}

func (s *Server) studyCreate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	up, err := s.readUploads(w, r)
	var t study.Task
	if err == nil {
		defer up.close()
		f := r.PostForm
		var files []study.Upload
		fs, ferr := up.files("files")
		err = ferr
		for _, x := range fs {
			files = append(files, study.Upload{Name: x.Name, R: x.R})
		}
		if err == nil {
			minLen, _ := strconv.Atoi(strings.TrimSpace(f.Get("min_length")))
			t, err = s.Study.Create(r.Context(), p, study.TaskInput{Title: f.Get("title"), Material: f.Get("material"),
				UnitCode: f.Get("unit_code"), Roles: f["roles"], Due: f.Get("due"), MinLength: minLen}, files)
		}
	}
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.study.new_title", "study")
		pg.Vals = r.PostForm
		st := s.formError(r, pg, "study", err)
		s.render(w, r, st, "study_form", pg)
		return
	}
	redirect(w, r, "/study/"+strconv.FormatInt(t.ID, 10)+"?done=created")
}

type studyTaskData struct {
	T         study.Task
	Mine      *study.Reflection
	C         study.Completion
	CanIssue  bool
	Threshold float64
}

func (s *Server) studyTaskPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.study.title", "study")
	switch r.URL.Query().Get("done") {
	case "created":
		pg.Flash = pg.T("msg.study.created")
	case "submitted":
		pg.Flash = pg.T("msg.study.submitted")
	}
	s.showStudyTask(w, r, p, pg, http.StatusOK)
}

func (s *Server) showStudyTask(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	ctx := r.Context()
	t, err := s.Study.Get(ctx, p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := studyTaskData{T: t, CanIssue: study.CanIssue(p, t.UnitPath)}
	if d.Mine, err = s.Study.Mine(ctx, p, id); err == nil {
		d.C, err = s.Study.Completion(ctx, p, id)
	}
	if err == nil {
		var set study.Settings
		set, err = study.GetSettings(ctx, s.DB.Read)
		d.Threshold = float64(set.Threshold) / 1000
	}
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	if d.Mine != nil && pg.Vals.Get("text") == "" {
		pg.Vals.Set("text", d.Mine.Body)
	}
	pg.Title = t.Number + " · " + t.Title
	pg.D = d
	s.render(w, r, status, "study_task", pg)
}

func (s *Server) studyFile(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	aid, err2 := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err1 != nil || err2 != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	f, err := s.Study.TaskFile(r.Context(), p, id, aid)
	s.serveAttachment(w, r, s.Study.Files, f, err)
}

func (s *Server) studySubmit(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	r.ParseForm()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	if _, err := s.Study.Submit(r.Context(), p, id, r.PostFormValue("text")); err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.study.title", "study")
		pg.Vals = r.PostForm
		st := s.formError(r, pg, "reflection", err)
		s.showStudyTask(w, r, p, pg, st)
		return
	}
	redirect(w, r, "/study/"+strconv.FormatInt(id, 10)+"?done=submitted")
}

// seg is a piece of a text shown on the review page: marked pieces are
// shared with the source; N numbers the shared passage on both sides.
type seg struct {
	Text string
	Mark bool
	N    int
}

type interval struct{ a, b, n int }

// segments cuts text (by rune offsets) into plain and marked pieces.
// Overlapping intervals (a source passage matched twice) are merged.
func segments(text string, iv []interval) []seg {
	rs := []rune(text)
	sort.Slice(iv, func(i, j int) bool { return iv[i].a < iv[j].a })
	var out []seg
	pos := 0
	for _, x := range iv {
		a, b := max(x.a, pos), min(x.b, len(rs))
		if a >= b {
			continue
		}
		if a > pos {
			out = append(out, seg{Text: string(rs[pos:a])})
		}
		out = append(out, seg{Text: string(rs[a:b]), Mark: true, N: x.n})
		pos = b
	}
	if pos < len(rs) {
		out = append(out, seg{Text: string(rs[pos:])})
	}
	return out
}

type studyReflectionData struct {
	R          study.Reflection
	Sel        int // the match shown side by side
	Match      *study.Match
	Left       []seg
	Right      []seg
	Source     string // the source's title
	SourceOK   bool   // p may read the source's text
	Shared     int    // characters of the reflection shared with the selected source
	CanJudge   bool
	Threshold  float64
	TaskLinkOK bool
	Versions   []study.Version
}

func (s *Server) studyReflectionPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.study.review_title", "study")
	if r.URL.Query().Get("done") == "review" {
		pg.Flash = pg.T("msg.study.reviewed")
	}
	s.showStudyReflection(w, r, p, pg, http.StatusOK)
}

func (s *Server) showStudyReflection(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	ctx := r.Context()
	ref, err := s.Study.Reflection(ctx, p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := studyReflectionData{R: ref, CanJudge: study.CanJudge(p, ref.UnitPath) && p.UserID != ref.AuthorID}
	set, err := study.GetSettings(ctx, s.DB.Read)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Threshold = float64(set.Threshold) / 1000
	d.Sel, _ = strconv.Atoi(r.URL.Query().Get("m"))
	if d.Sel < 0 || d.Sel >= len(ref.Matches) {
		d.Sel = 0
	}
	if len(ref.Matches) > 0 {
		m := ref.Matches[d.Sel]
		d.Match = &m
		var left, right []interval
		for i, sp := range m.Spans {
			left = append(left, interval{sp.Start, sp.End, i + 1})
			right = append(right, interval{sp.SourceStart, sp.SourceEnd, i + 1})
			d.Shared += study.CountChars(string([]rune(ref.Body)[sp.Start:sp.End]))
		}
		d.Left = segments(ref.Body, left)
		var body string
		d.Source, body, d.SourceOK, err = s.Study.Source(ctx, p, m.Source)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		if !d.SourceOK {
			d.Source = m.Title
		} else {
			d.Right = segments(body, right)
		}
	} else {
		d.Left = []seg{{Text: ref.Body}}
	}
	if _, err := s.Study.Get(ctx, p, ref.TaskID); err == nil {
		d.TaskLinkOK = true
	}
	if d.Versions, err = s.Study.Versions(ctx, p, ref); err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.Title = pg.T("ui.study.review_of", ref.AuthorName, ref.TaskTitle)
	pg.D = d
	s.render(w, r, status, "study_reflection", pg)
}

func (s *Server) studyJudge(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	if _, err := s.Study.Judge(r.Context(), p, id, r.PostFormValue("decision"), r.PostFormValue("note")); err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.study.review_title", "study")
		pg.Vals = r.PostForm
		st := s.formError(r, pg, "review", err)
		s.showStudyReflection(w, r, p, pg, st)
		return
	}
	redirect(w, r, "/study/reflections/"+strconv.FormatInt(id, 10)+"?done=review")
}

type studyCorpusData struct {
	Refs     []study.Ref
	Settings study.Settings
}

func (s *Server) studyCorpusPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.study.corpus_title", "study")
	switch r.URL.Query().Get("done") {
	case "added", "withdrawn", "settings":
		pg.Flash = pg.T("msg.study.saved")
	}
	s.showStudyCorpus(w, r, p, pg, http.StatusOK)
}

func (s *Server) showStudyCorpus(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	refs, err := s.Study.Refs(r.Context(), p)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := studyCorpusData{Refs: refs}
	if d.Settings, err = study.GetSettings(r.Context(), s.DB.Read); err != nil {
		s.failPage(w, r, err)
		return
	}
	if pg.Vals.Get("threshold") == "" {
		pg.Vals.Set("threshold", strconv.Itoa(d.Settings.Threshold))
		pg.Vals.Set("min_length", strconv.Itoa(d.Settings.MinLength))
	}
	pg.D = d
	s.render(w, r, status, "study_corpus", pg)
}

// maxRefFile bounds an uploaded reference text (a long speech is 50 KB).
const maxRefFile = 2 << 20

// decodeText reads an uploaded .txt: UTF-8 (a byte-order mark dropped), or
// else GB18030, which covers GBK and GB2312 (Windows saves Chinese text in
// it by default).
func decodeText(b []byte) (string, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return string(b), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil || !utf8.Valid(out) {
		return "", apperr.Invalidf("body", "err.study.encoding")
	}
	return string(out), nil
}

func (s *Server) studyCorpusAdd(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	up, err := s.readUploads(w, r)
	if err == nil {
		defer up.close()
		title, body := r.PostFormValue("title"), r.PostFormValue("body")
		var files []study.Upload
		fs, ferr := up.files("file")
		err = ferr
		for _, f := range fs {
			files = append(files, study.Upload{Name: f.Name, R: f.R})
		}
		if err == nil && len(files) > 0 {
			var b []byte
			b, err = io.ReadAll(io.LimitReader(files[0].R, maxRefFile+1))
			if err == nil && len(b) > maxRefFile {
				err = apperr.Invalidf("body", "err.study.too_long", maxRefFile)
			}
			if err == nil {
				body, err = decodeText(b)
			}
			if strings.TrimSpace(title) == "" {
				title = strings.TrimSuffix(files[0].Name, ".txt")
			}
		}
		if err == nil {
			_, err = s.Study.AddRef(r.Context(), p, title, body)
		}
	}
	s.afterStudyCorpus(w, r, p, "ref", "added", err)
}

func (s *Server) studyCorpusWithdraw(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	s.afterStudyCorpus(w, r, p, "withdraw", "withdrawn", s.Study.WithdrawRef(r.Context(), p, id))
}

func (s *Server) studySettings(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	th, err1 := strconv.Atoi(strings.TrimSpace(r.PostFormValue("threshold")))
	ml, err2 := strconv.Atoi(strings.TrimSpace(r.PostFormValue("min_length")))
	var err error
	switch {
	case err1 != nil:
		err = apperr.Invalidf("threshold", "err.study.threshold")
	case err2 != nil:
		err = apperr.Invalidf("min_length", "err.study.min_length")
	default:
		err = s.Study.SetSettings(r.Context(), p, study.Settings{Threshold: th, MinLength: ml})
	}
	s.afterStudyCorpus(w, r, p, "settings", "settings", err)
}

func (s *Server) afterStudyCorpus(w http.ResponseWriter, r *http.Request, p *org.Principal, form, done string, err error) {
	if err == nil {
		redirect(w, r, "/study/corpus?done="+done)
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	pg := s.newPage(r, "ui.study.corpus_title", "study")
	pg.Vals = r.PostForm
	st := s.formError(r, pg, form, err)
	s.showStudyCorpus(w, r, p, pg, st)
}
