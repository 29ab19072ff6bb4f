package web

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/scrub"
)

// 我为群众办实事: staff pages under /staff/projects, the public list and pages
// under /projects with the project's rating form (no cookie: a signed token
// in a hidden field, see internal/rating/projects.go).

func (s *Server) registerProjectPages() {
	s.handle("GET /projects", s.publicProjects)
	s.handle("GET /projects/{id}", s.publicProject)
	s.handle("POST /projects/{id}/rate", s.rateProject)
	s.handle("GET /projects/{id}/qr.png", s.projectQR)
	s.handle("GET /projects/{id}/poster", s.projectPoster)
	s.handle("GET /projects/{id}/photos/{aid}", s.projectPhoto)

	s.handle("GET /staff/projects", s.full(s.projectsPage))
	s.handle("GET /staff/projects/new", s.full(s.projectNewPage))
	s.handle("POST /staff/projects", s.full(s.projectCreate))
	s.handle("GET /staff/projects/{id}", s.full(s.projectPage))
	s.handle("GET /staff/projects/{id}/files/{aid}", s.full(s.projectFile))
	s.handle("POST /staff/projects/{id}/{action}", s.full(s.projectAct))
	s.handle("POST /staff/pledges", s.full(s.pledgeCreate))
	s.handle("POST /staff/pledges/{id}/kept", s.full(s.pledgeKeep))
}

// CanProjects: the menu offers projects to whoever may read a ledger somewhere.
func (p *page) CanProjects() bool { return org.CanAnywhere(p.P, project.Read) }

const (
	keyArea          = "ui" + ".project.area."
	keyProjectStatus = "ui" + ".project.status."
	keyCheck         = "ui" + ".project.check."
)

func (p *page) AreaName(a string) string            { return p.T(keyArea + a) }
func (p *page) ProjectStatusName(s string) string   { return p.T(keyProjectStatus + s) }
func (p *page) CheckName(c string) string           { return p.T(keyCheck + c) }
func (p *page) Areas() []string                     { return project.Areas }
func (p *page) CheckItems() []string                { return project.CheckItems }
func (p *page) ProjectStatusList() []project.Status { return project.Statuses }

// ---------------------------------------------------------------- public

type publicProjectsData struct {
	Pledges []project.Pledge
	Items   []project.Project
	Unit    string
	Pager   pager
}

func (s *Server) publicProjects(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.project.public_title", "projects")
	pg.P = nil
	unit := strings.TrimSpace(r.URL.Query().Get("unit"))
	off := pageOffset(r)
	items, total, err := s.Projects.PublicList(r.Context(), unit, project.Filter{Page: off/pageSize + 1, PerPage: pageSize})
	status := http.StatusOK
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		status = s.formError(r, pg, "", err)
		pg.Form = ""
	}
	d := publicProjectsData{Items: items, Unit: unit, Pager: newPager(r, off, len(items), total)}
	if err == nil {
		if d.Pledges, err = s.Projects.PublicPledges(r.Context(), unit); err != nil {
			s.failPage(w, r, err)
			return
		}
	}
	pg.D = d
	s.render(w, r, status, "projects_public", pg)
}

type publicProjectData struct {
	P       project.Project
	Ratings rating.ProjectFigures
	Token   string
	Rated   bool
}

func (s *Server) publicProject(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.project.public_title", "projects")
	pg.P = nil
	s.showPublicProject(w, r, pg, http.StatusOK, false)
}

func (s *Server) showPublicProject(w http.ResponseWriter, r *http.Request, pg *page, status int, rated bool) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	pr, err := s.Projects.PublicGet(r.Context(), id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := publicProjectData{P: pr, Rated: rated}
	if d.Ratings, err = s.Ratings.ForProject(r.Context(), id); err == nil {
		d.Token, err = s.Ratings.Token(r.Context(), id)
	}
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.Title = pr.Title
	pg.D = d
	w.Header().Set("Cache-Control", "no-store") // the token is single-use
	s.render(w, r, status, "project_public", pg)
}

func (s *Server) rateProject(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	pg := s.newPage(r, "ui.project.public_title", "projects")
	pg.P = nil
	pr, err := s.Projects.PublicGet(r.Context(), id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	_, err = s.Ratings.RateProject(r.Context(), pr.RatingRef(), r.PostFormValue("token"), clientHost(r), ratingInput(r.PostForm))
	if err != nil {
		pg.Vals = r.PostForm
		st := s.formError(r, pg, "rating", err)
		s.showPublicProject(w, r, pg, st, false)
		return
	}
	pg.Flash = pg.T("msg.rating.saved")
	s.showPublicProject(w, r, pg, http.StatusOK, true)
}

// ---------------------------------------------------------------- staff

type projectsData struct {
	Pledges []project.Pledge
	Items   []project.Project
	Unit    string
	Status  string
	Pager   pager
	CanNew  bool
}

func (s *Server) projectsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.project.title", "staff_projects")
	if r.URL.Query().Get("done") == "pledge" {
		pg.Flash = pg.T("msg.project.saved")
	}
	s.renderProjects(w, r, p, pg, http.StatusOK)
}

func (s *Server) renderProjects(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	if !org.CanAnywhere(p, project.Read) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	q := r.URL.Query()
	d := projectsData{Unit: q.Get("unit"), Status: q.Get("status"), CanNew: org.CanAnywhere(p, project.Write)}
	off := pageOffset(r)
	items, total, err := s.Projects.List(r.Context(), p, project.Filter{Unit: d.Unit, Status: d.Status, Page: off/pageSize + 1, PerPage: pageSize})
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		status = s.formError(r, pg, "", err)
		pg.Form = ""
	}
	d.Items, d.Pager = items, newPager(r, off, len(items), total)
	if d.Pledges, err = s.Projects.Pledges(r.Context(), p); err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.D = d
	s.render(w, r, status, "projects", pg)
}

// pledgeCreate makes a pledge from the projects page.
func (s *Server) pledgeCreate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	f := r.PostForm
	_, err := s.Projects.Pledge(r.Context(), p, project.PledgeInput{UnitCode: f.Get("unit_code"), Content: f.Get("content"),
		Due: f.Get("due"), Public: f.Get("public") == "1"})
	s.afterPledge(w, r, p, "pledge", err)
}

// pledgeKeep records, with its evidence, how a pledge was kept.
func (s *Server) pledgeKeep(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	up, err := s.readUploads(w, r)
	if err == nil {
		defer up.close()
		files, ferr := up.files("evidence")
		err = ferr
		if err == nil {
			var file *project.Upload
			if len(files) > 0 {
				file = &project.Upload{Name: files[0].Name, R: files[0].R}
			}
			_, err = s.Projects.KeepPledge(r.Context(), p, id, r.PostFormValue("note"), file)
		}
	}
	s.afterPledge(w, r, p, "kept", err)
}

func (s *Server) afterPledge(w http.ResponseWriter, r *http.Request, p *org.Principal, form string, err error) {
	if err == nil {
		redirect(w, r, "/staff/projects?done=pledge")
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	pg := s.newPage(r, "ui.project.title", "staff_projects")
	pg.Vals = r.PostForm
	st := s.formError(r, pg, form, err)
	r.URL.RawQuery = ""
	s.renderProjects(w, r, p, pg, st)
}

func (s *Server) projectNewPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, project.Write) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.project.new_title", "staff_projects")
	today := time.Now().In(cst).Format(time.DateOnly)
	pg.Vals = url.Values{"unit_code": {p.UnitCode}, "start": {today}, "area": {project.Areas[0]}}
	s.needProjectVals(r, p, pg.Vals)
	s.render(w, r, http.StatusOK, "project_form", pg)
}

func (s *Server) projectCreate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	r.ParseForm()
	f := r.PostForm
	in := project.Input{Title: f.Get("title"), Area: f.Get("area"), UnitCode: f.Get("unit_code"),
		Leader: f.Get("leader"), Handler: f.Get("handler"), Beneficiaries: f.Get("beneficiaries"), Plan: f.Get("plan"),
		Measures: f.Get("measures"), Start: f.Get("start"), End: f.Get("end"), Public: f.Get("public") == "1"}
	in.NeedID, _ = strconv.ParseInt(f.Get("need_id"), 10, 64)
	pr, err := s.Projects.Create(r.Context(), p, in)
	if err != nil {
		pg := s.newPage(r, "ui.project.new_title", "staff_projects")
		pg.Vals = f
		st := s.formError(r, pg, "project", err)
		s.render(w, r, st, "project_form", pg)
		return
	}
	redirect(w, r, "/staff/projects/"+strconv.FormatInt(pr.ID, 10))
}

type projectData struct {
	P           project.Project
	Ratings     rating.ProjectFigures
	CanWrite    bool
	CanAdvance  bool
	CanEvaluate bool
}

func (s *Server) projectPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.project.title", "staff_projects")
	if r.URL.Query().Get("done") != "" {
		pg.Flash = pg.T("msg.project.saved")
	}
	s.showProject(w, r, p, pg, http.StatusOK)
}

func (s *Server) showProject(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	pr, err := s.Projects.Get(r.Context(), p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := projectData{P: pr, CanWrite: org.Can(p, project.Write, pr.UnitPath),
		CanAdvance:  pr.Status != project.Done && pr.Status != project.Evaluated && org.Can(p, project.StepAction(pr.Status), pr.UnitPath),
		CanEvaluate: pr.Status == project.Done && org.Can(p, project.Evaluate, pr.UnitPath)}
	if d.Ratings, err = s.Ratings.ForProject(r.Context(), id); err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.Title = pr.Number + " · " + pr.Title
	pg.D = d
	s.render(w, r, status, "project", pg)
}

// NextStatusName names the step the advance button takes.
func (p *page) NextStatusName(s project.Status) string {
	to, err := project.Next(s)
	if err != nil {
		return ""
	}
	return p.ProjectStatusName(string(to))
}

func (s *Server) projectAct(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	action := r.PathValue("action")
	up, err := s.readUploads(w, r)
	if err == nil {
		defer up.close()
		f := r.PostForm
		ctx := r.Context()
		switch action {
		case "milestone":
			weight, _ := strconv.Atoi(strings.TrimSpace(f.Get("weight")))
			_, err = s.Projects.AddMilestone(ctx, p, id, project.MilestoneInput{Due: f.Get("due"), What: f.Get("what"), Weight: weight})
		case "done":
			mid, _ := strconv.ParseInt(f.Get("milestone"), 10, 64)
			files, ferr := up.files("evidence")
			err = ferr
			if err == nil {
				var file *project.Upload
				if len(files) > 0 {
					file = &project.Upload{Name: files[0].Name, R: files[0].R}
				}
				_, err = s.Projects.MilestoneDone(ctx, p, id, mid, f.Get("note"), file)
			}
		case "advance":
			_, err = s.Projects.Advance(ctx, p, id)
		case "evaluate":
			var checks []project.Check
			for _, item := range project.CheckItems {
				score, _ := strconv.Atoi(strings.TrimSpace(f.Get("score_" + item)))
				checks = append(checks, project.Check{Item: item, Score: score, Comment: f.Get("comment_" + item)})
			}
			_, err = s.Projects.Evaluate(ctx, p, id, checks)
		default:
			s.errorPage(w, r, http.StatusNotFound)
			return
		}
	}
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.project.title", "staff_projects")
		pg.Vals = r.PostForm
		st := s.formError(r, pg, action, err)
		s.showProject(w, r, p, pg, st)
		return
	}
	redirect(w, r, "/staff/projects/"+strconv.FormatInt(id, 10)+"?done="+action)
}

func (s *Server) projectFile(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	aid, err2 := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err1 != nil || err2 != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	f, err := s.Projects.Evidence(r.Context(), p, id, aid)
	s.serveAttachment(w, r, s.Projects.Files, f, err)
}

// projectQR is a PNG QR code of a public project's page, to print on posters
// and service windows: scanning it opens the page with the rating form.
func (s *Server) projectQR(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if _, err := s.Projects.PublicGet(r.Context(), id); err != nil {
		s.failPage(w, r, err)
		return
	}
	code, err := qr.Encode(s.publicURL(r)+"/projects/"+strconv.FormatInt(id, 10), qr.M, qr.Auto)
	if err == nil {
		code, err = barcode.Scale(code, 320, 320)
	}
	var buf bytes.Buffer
	if err == nil {
		err = png.Encode(&buf, code)
	}
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(buf.Bytes())
}

// projectPoster is a printable A4 poster of a public project: title, unit,
// period and the QR code that opens the rating page on a phone, for service
// windows and notice boards.
func (s *Server) projectPoster(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	pr, err := s.Projects.PublicGet(r.Context(), id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg := s.newPage(r, "ui.project.public_title", "projects")
	pg.P = nil
	pg.Title = pr.Title
	pg.D = struct {
		P   project.Project
		URL string
	}{pr, s.publicURL(r) + "/projects/" + strconv.FormatInt(id, 10)}
	s.render(w, r, http.StatusOK, "project_poster", pg)
}

// projectPhoto serves a photo evidencing a milestone of a public project,
// cleaned of its metadata (place, camera, time) on the way out: the
// evidence is kept as uploaded for staff, the public gets only the picture.
func (s *Server) projectPhoto(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	f, err := s.Projects.PublicPhoto(r.Context(), id, aid)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	file, err := s.Projects.Files.Open(r.Context(), f)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, f.Size+1))
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	res, err := scrub.Clean(f.Name, data)
	if err != nil || !strings.HasPrefix(res.MIME, "image/") {
		// a photo that does not clean is not shown rather than shown raw
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", res.MIME)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(res.Data)
}
