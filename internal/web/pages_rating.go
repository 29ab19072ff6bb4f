package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/rating"
)

// 好差评: the reporter rates a concluded report on its page; staff see the
// ratings and figures of their ledger scope, record paper and phone ratings,
// the 回访 of a 差评, and appeals.

func (s *Server) registerRatingPages() {
	s.handle("POST /report/rate", s.reportRate)
	s.handle("GET /ratings", s.full(s.ratingsPage))
	s.handle("POST /ratings", s.full(s.ratingRecord))
	s.handle("GET /ratings/{id}", s.full(s.ratingPage))
	s.handle("POST /ratings/{id}/{action}", s.full(s.ratingAct))
	s.handle("POST /ratings/{id}/reply-check", s.full(s.ratingReplyCheck))
}

// CanRatings: the menu offers ratings to whoever may read a ledger somewhere.
func (p *page) CanRatings() bool { return org.CanAnywhere(p.P, rating.Read) }

// Catalogue key prefixes built at run time (see keyRole).
const (
	keyRatingLevel   = "ui" + ".rating.level."
	keyRatingChannel = "ui" + ".rating.channel."
	keyRatingAppeal  = "ui" + ".rating.appeal."
	keyRatingDim     = "ui" + ".rating.dim_"
)

func (p *page) LevelName(l int) string        { return p.T(keyRatingLevel + strconv.Itoa(l)) }
func (p *page) ChannelName(c string) string   { return p.T(keyRatingChannel + c) }
func (p *page) AppealName(s string) string    { return p.T(keyRatingAppeal + s) }
func (p *page) RatingLevels() []int           { return rating.Levels }
func (p *page) RatingChannels() []string      { return rating.StaffChannels }
func (p *page) RatingDimensions() []string    { return []string{"efficiency", "attitude", "result"} }
func (p *page) DimensionName(d string) string { return p.T(keyRatingDim + d) }

// ratingInput reads the rating fields of a form.
func ratingInput(v url.Values) rating.Input {
	num := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(v.Get(name)))
		if err != nil {
			return 0
		}
		return n
	}
	return rating.Input{Level: num("level"), Comment: v.Get("comment"),
		Dimensions: rating.Dimensions{Efficiency: num("dim_efficiency"), Attitude: num("dim_attitude"), Result: num("dim_result")}}
}

// reportRating is the rating part of the reporter's page.
type reportRating struct {
	R          *rating.Rating
	Changeable bool
}

// withRating adds the report's rating (if any) to the reporter's page.
func (s *Server) withRating(r *http.Request, d *reportViewData) error {
	if !d.V.Concluded || s.Ratings == nil {
		return nil
	}
	g, err := s.Ratings.ForReport(r.Context(), d.V.Ref())
	if err != nil {
		return err
	}
	d.Rating = &reportRating{R: g, Changeable: s.Ratings.Changeable(g)}
	d.CanRate = d.Rating.Changeable
	return nil
}

// reportRate takes the reporter's rating; the receipt and key come as hidden
// fields, like the follow-up's.
func (s *Server) reportRate(w http.ResponseWriter, r *http.Request) {
	privateAnswer(w)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	vals := r.PostForm
	v, pg, ok := s.lookupView(w, r, vals)
	if !ok {
		return
	}
	status := http.StatusOK
	if _, err := s.Ratings.RateReport(r.Context(), v.Ref(), ratingInput(vals)); err != nil {
		pg.Vals = url.Values{"level": vals["level"], "comment": vals["comment"], "dim_efficiency": vals["dim_efficiency"],
			"dim_attitude": vals["dim_attitude"], "dim_result": vals["dim_result"]}
		status = s.formError(r, pg, "rating", err)
		if !v.Concluded {
			pg.Form = "" // there is no rating form to show it on: at the top of the page
		}
	} else {
		pg.Flash = pg.T("msg.rating.saved")
	}
	s.showReport(w, r, pg, v, vals.Get("key"), status)
}

type ratingsData struct {
	Items   []rating.Rating
	Filter  rating.Filter
	Metrics rating.Metrics
	Pager   pager
	CanRec  bool
}

func (s *Server) ratingsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.rating.title", "ratings")
	pg.flashFrom(r)
	s.renderRatings(w, r, p, pg, http.StatusOK)
}

func (s *Server) renderRatings(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	if !org.CanAnywhere(p, rating.Read) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	d := ratingsData{CanRec: org.CanAnywhere(p, rating.Write)}
	f, err := rating.ParseFilter(r.URL.Query())
	if err == nil {
		off := pageOffset(r)
		f.Page, f.PerPage = off/pageSize+1, pageSize
		d.Filter = f
		var total int
		d.Items, total, err = s.Ratings.List(r.Context(), p, f)
		if err == nil {
			d.Metrics, err = s.Ratings.Metrics(r.Context(), p, f)
		}
		d.Pager = newPager(r, off, len(d.Items), total)
	}
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		status = s.formError(r, pg, "filter", err)
	}
	pg.D = d
	s.render(w, r, status, "ratings", pg)
}

// ratingRecord records a rating given on paper or by phone.
func (s *Server) ratingRecord(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	g, err := s.Ratings.Record(r.Context(), p, r.PostFormValue("receipt"), r.PostFormValue("channel"), ratingInput(r.PostForm))
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.rating.title", "ratings")
		pg.Vals = r.PostForm
		st := s.formError(r, pg, "record", err)
		s.renderRatings(w, r, p, pg, st)
		return
	}
	redirect(w, r, "/ratings/"+strconv.FormatInt(g.ID, 10)+"?done=rating_recorded")
}

type ratingData struct {
	R         rating.Rating
	CanWrite  bool
	CanDecide bool
	Reply     *replyCheck // 答复质量 hints on the 回访 reply (pages_reply.go)
}

func (s *Server) ratingPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.rating.title", "ratings")
	switch r.URL.Query().Get("done") {
	case "rating_recorded":
		pg.Flash = pg.T("msg.rating.recorded")
	case "visit":
		pg.Flash = pg.T("msg.rating.visit_saved")
	case "appeal":
		pg.Flash = pg.T("msg.rating.appeal_sent")
	case "decide":
		pg.Flash = pg.T("msg.rating.appeal_decided")
	}
	s.showRating(w, r, p, pg, http.StatusOK)
}

func (s *Server) showRating(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	g, err := s.Ratings.Get(r.Context(), p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.Title = g.Number + " · " + pg.T("ui.rating.title")
	rc, _ := pg.D.(*replyCheck)
	pg.D = ratingData{R: g, CanWrite: org.Can(p, rating.Write, g.UnitPath), CanDecide: org.Can(p, rating.Decide, g.UnitPath), Reply: rc}
	s.render(w, r, status, "rating", pg)
}

// ratingAct runs a step on a rating: visit, appeal, decide.
func (s *Server) ratingAct(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	r.ParseForm()
	f := r.PostForm
	action := r.PathValue("action")
	var err error
	switch action {
	case "visit":
		_, err = s.Ratings.RecordVisit(r.Context(), p, id, rating.Visit{Contact: f.Get("contact"), Said: f.Get("said"), Reply: f.Get("reply")})
	case "appeal":
		_, err = s.Ratings.RequestAppeal(r.Context(), p, id, f.Get("reason"))
	case "decide":
		_, err = s.Ratings.DecideAppeal(r.Context(), p, id, f.Get("decision") == "uphold", f.Get("note"))
	default:
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.rating.title", "ratings")
		pg.Vals = f
		st := s.formError(r, pg, action, err)
		s.showRating(w, r, p, pg, st)
		return
	}
	redirect(w, r, "/ratings/"+strconv.FormatInt(id, 10)+"?done="+action)
}
