package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/report"
)

// 群众点单: the public proposes needs and supports them under /needs (no
// account, no cookie: a signed single-use token in the vote form); staff
// take a need into a project or decline it under /staff/needs.

func (s *Server) registerNeedPages() {
	s.handle("GET /needs", s.publicNeeds)
	s.handle("GET /needs/new", s.needNewPage)
	s.handle("POST /needs", s.needPropose)
	s.handle("GET /needs/follow", s.needFollowPage)
	s.handle("POST /needs/follow", s.needFollow)
	s.handle("GET /needs/{id}", s.publicNeed)
	s.handle("POST /needs/{id}/vote", s.needVote)

	s.handle("GET /staff/needs", s.full(s.needsPage))
	s.handle("GET /staff/needs/{id}", s.full(s.needPage))
	s.handle("POST /staff/needs/{id}/decline", s.full(s.needDecline))
	s.handle("POST /staff/needs/{id}/reply-check", s.full(s.needReplyCheck))
}

const keyNeedStatus = "ui" + ".need.status."

func (p *page) NeedStatusName(st string) string { return p.T(keyNeedStatus + st) }
func (p *page) NeedStatusList() []string        { return project.NeedStatuses }

type publicNeedsData struct {
	Items  []project.Need
	Unit   string
	Status string
	Pager  pager
}

func (s *Server) publicNeeds(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.need.public_title", "needs")
	pg.P = nil
	q := r.URL.Query()
	d := publicNeedsData{Unit: strings.TrimSpace(q.Get("unit")), Status: q.Get("status")}
	off := pageOffset(r)
	items, total, err := s.Projects.PublicNeeds(r.Context(), d.Unit, project.NeedFilter{Status: d.Status, Page: off/pageSize + 1, PerPage: pageSize})
	status := http.StatusOK
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		status = s.formError(r, pg, "", err)
		pg.Form = ""
	}
	d.Items, d.Pager = items, newPager(r, off, len(items), total)
	pg.D = d
	s.render(w, r, status, "needs_public", pg)
}

type needFormData struct{ Units []project.UnitChoice }

func (s *Server) needNewPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.need.new_title", "needs")
	pg.P = nil
	pg.Vals = url.Values{"area": {project.Areas[0]}, "unit_code": {r.URL.Query().Get("unit")}}
	s.renderNeedForm(w, r, pg, http.StatusOK)
}

func (s *Server) renderNeedForm(w http.ResponseWriter, r *http.Request, pg *page, status int) {
	units, err := s.Projects.PublicUnits(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.D = needFormData{Units: units}
	s.render(w, r, status, "need_form", pg)
}

// needDone is the slip shown once after a proposal.
type needDone struct{ ID, Receipt, Key string }

func (s *Server) needPropose(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	r.ParseForm()
	f := r.PostForm
	pg := s.newPage(r, "ui.need.new_title", "needs")
	pg.P = nil
	rc, err := s.Projects.ProposeNeed(r.Context(), project.NeedInput{UnitCode: f.Get("unit_code"), Area: f.Get("area"),
		Title: f.Get("title"), Body: f.Get("body"), Place: f.Get("place")}, clientHost(r))
	if err != nil {
		pg.Vals = f
		st := s.formError(r, pg, "need", err)
		s.renderNeedForm(w, r, pg, st)
		return
	}
	pg.Title = pg.T("ui.need.done_title")
	pg.D = needDone{ID: strconv.FormatInt(rc.ID, 10), Receipt: report.FormatReceipt(rc.Receipt), Key: report.FormatKey(rc.Key)}
	w.Header().Set("Cache-Control", "no-store") // the key is shown once
	s.render(w, r, http.StatusCreated, "need_done", pg)
}

type publicNeedData struct {
	N     project.Need
	Token string
	Voted bool
}

func (s *Server) publicNeed(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.need.public_title", "needs")
	pg.P = nil
	s.showPublicNeed(w, r, pg, http.StatusOK, false)
}

func (s *Server) showPublicNeed(w http.ResponseWriter, r *http.Request, pg *page, status int, voted bool) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	n, err := s.Projects.PublicNeed(r.Context(), id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := publicNeedData{N: n, Voted: voted}
	if n.Status == project.NeedOpen && !voted {
		if d.Token, err = s.Projects.VoteToken(r.Context(), id); err != nil {
			s.failPage(w, r, err)
			return
		}
	}
	pg.Title = n.Title
	pg.D = d
	w.Header().Set("Cache-Control", "no-store") // the token is single-use
	s.render(w, r, status, "need_public", pg)
}

func (s *Server) needVote(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	r.ParseForm()
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	pg := s.newPage(r, "ui.need.public_title", "needs")
	pg.P = nil
	if _, err := s.Projects.VoteNeed(r.Context(), id, r.PostFormValue("token"), clientHost(r)); err != nil {
		if s.hardError(w, r, err) {
			return
		}
		st := s.formError(r, pg, "vote", err)
		s.showPublicNeed(w, r, pg, st, false)
		return
	}
	pg.Flash = pg.T("msg.need.voted")
	s.showPublicNeed(w, r, pg, http.StatusOK, true)
}

func (s *Server) needFollowPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.need.follow_title", "needs")
	pg.P = nil
	s.render(w, r, http.StatusOK, "need_follow", pg)
}

// needFollow answers a POST so the key never sits in a URL or a log.
func (s *Server) needFollow(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	r.ParseForm()
	pg := s.newPage(r, "ui.need.follow_title", "needs")
	pg.P = nil
	w.Header().Set("Cache-Control", "no-store")
	n, err := s.Projects.FollowNeed(r.Context(), r.PostFormValue("receipt"), r.PostFormValue("key"), clientHost(r))
	if err != nil {
		pg.Vals = url.Values{"receipt": {r.PostFormValue("receipt")}}
		st := s.formError(r, pg, "follow", err)
		s.render(w, r, st, "need_follow", pg)
		return
	}
	pg.D = publicNeedData{N: n, Voted: true}
	s.render(w, r, http.StatusOK, "need_public", pg)
}

// ---------------------------------------------------------------- staff

type needsData struct {
	Items  []project.Need
	Unit   string
	Status string
	Pager  pager
}

func (s *Server) needsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, project.Read) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.need.title", "staff_needs")
	q := r.URL.Query()
	d := needsData{Unit: q.Get("unit"), Status: q.Get("status")}
	off := pageOffset(r)
	items, total, err := s.Projects.Needs(r.Context(), p, project.NeedFilter{Unit: d.Unit, Status: d.Status, Page: off/pageSize + 1, PerPage: pageSize})
	status := http.StatusOK
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		status = s.formError(r, pg, "", err)
		pg.Form = ""
	}
	d.Items, d.Pager = items, newPager(r, off, len(items), total)
	pg.D = d
	s.render(w, r, status, "needs", pg)
}

type needData struct {
	N        project.Need
	CanWrite bool
	Reply    *replyCheck // 答复质量 hints on the answer (pages_reply.go)
}

func (s *Server) needPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.need.title", "staff_needs")
	if r.URL.Query().Get("done") != "" {
		pg.Flash = pg.T("msg.need.saved")
	}
	s.showNeed(w, r, p, pg, http.StatusOK)
}

func (s *Server) showNeed(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	n, err := s.Projects.Need(r.Context(), p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.Title = n.Title
	rc, _ := pg.D.(*replyCheck)
	pg.D = needData{N: n, CanWrite: n.Status == project.NeedOpen && org.Can(p, project.Write, n.UnitPath), Reply: rc}
	s.render(w, r, status, "need", pg)
}

func (s *Server) needDecline(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.Projects.DeclineNeed(r.Context(), p, id, r.PostFormValue("answer")); err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.need.title", "staff_needs")
		pg.Vals = r.PostForm
		st := s.formError(r, pg, "decline", err)
		s.showNeed(w, r, p, pg, st)
		return
	}
	redirect(w, r, "/staff/needs/"+strconv.FormatInt(id, 10)+"?done=decline")
}

// needProjectVals prefills the new-project form from the need it takes.
func (s *Server) needProjectVals(r *http.Request, p *org.Principal, v url.Values) {
	id, err := strconv.ParseInt(r.URL.Query().Get("need"), 10, 64)
	if err != nil {
		return
	}
	n, err := s.Projects.Need(r.Context(), p, id)
	if err != nil || n.Status != project.NeedOpen {
		return
	}
	v.Set("need_id", strconv.FormatInt(n.ID, 10))
	v.Set("title", n.Title)
	v.Set("area", n.Area)
	v.Set("unit_code", n.UnitCode)
	v.Set("plan", n.Body)
	v.Set("end", time.Now().In(cst).AddDate(0, 3, 0).Format(time.DateOnly))
	v.Set("public", "1")
}
