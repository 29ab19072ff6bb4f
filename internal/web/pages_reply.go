package web

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/text"
)

// 答复质量: every form that writes to a citizen — a lead's answer, message
// and feedback, a need's answer, a rating's 回访 reply — has a button that
// checks the draft (search.Index.ReplyHints). htmx asks for the hints alone
// and puts them under the text; without JavaScript the button posts the
// form to the check, and the item's page comes back with the draft kept and
// the hints under it. Nothing is sent or stored.

// replyCheck is what the 答复质量 hints say of one form's text, in words.
type replyCheck struct {
	Form    string // the form checked: answer, feedback, message, decline or visit
	Err     string
	Flagged bool
	Items   []string
}

// replyOnly is the page data of the hints fragment.
type replyOnly struct{ Reply *replyCheck }

// clueReplyFields names the text field of each of a lead's reply forms.
var clueReplyFields = map[string]string{"answer": "reply", "feedback": "note", "message": "message"}

// clueReplyCheck checks the text of one of the lead's reply forms
// (?form=answer|feedback|message; the answer when none is named).
func (s *Server) clueReplyCheck(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := clueID(r)
	form := cmp.Or(r.URL.Query().Get("form"), "answer")
	field, known := clueReplyFields[form]
	if !ok || !known {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	pg := s.newPage(r, "ui.clues.title", "clues")
	vals, _, err := readPublicForm(w, r)
	var h text.ReplyHints
	if err == nil {
		h, err = s.Search.ReplyCheck(r.Context(), p, id, vals.Get(field))
	}
	pg.Vals = vals
	s.answerReplyCheck(w, r, pg, form, h, err, func() { s.showClue(w, r, p, pg, id, http.StatusOK) })
}

// needReplyCheck checks the answer declining a need (群众点单), against the
// need's title and text, for who may answer it.
func (s *Server) needReplyCheck(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.need.title", "staff_needs")
	s.itemReplyCheck(w, r, p, pg, "decline", "answer", project.Write, func(id int64) (string, string, error) {
		n, err := s.Projects.Need(r.Context(), p, id)
		return n.Title + "\n" + n.Body, n.UnitPath, err
	}, func() { s.showNeed(w, r, p, pg, http.StatusOK) })
}

// ratingReplyCheck checks a 回访's reply against the rating's comment and
// what the citizen said in the 回访 (the form's said), for who may record
// the 回访.
func (s *Server) ratingReplyCheck(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.rating.title", "ratings")
	s.itemReplyCheck(w, r, p, pg, "visit", "reply", rating.Write, func(id int64) (string, string, error) {
		g, err := s.Ratings.Get(r.Context(), p, id)
		return g.Comment + "\n" + r.PostFormValue("said"), g.UnitPath, err
	}, func() { s.showRating(w, r, p, pg, http.StatusOK) })
}

// itemReplyCheck checks the draft in field of form on the page of an item
// (not a lead): load reads the item p may read and returns the message the
// reply answers and the unit it is written in, where p needs perm.
func (s *Server) itemReplyCheck(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, form, field string,
	perm org.Action, load func(id int64) (message, unitPath string, err error), show func()) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	r.ParseForm()
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	message, unitPath, err := load(id)
	var h text.ReplyHints
	if err == nil {
		if !org.Can(p, perm, unitPath) {
			s.errorPage(w, r, http.StatusForbidden)
			return
		}
		h, err = s.Search.ReplyHints(r.Context(), message, r.PostFormValue(field))
	}
	pg.Vals = r.PostForm
	s.answerReplyCheck(w, r, pg, form, h, err, show)
}

// answerReplyCheck answers a check of form's draft: the hints alone to
// htmx; else show, the item's page, which finds the hints in pg.D. A wrong
// draft (empty, too long) is said in the hints' place; any other error is
// the page's (not found, forbidden).
func (s *Server) answerReplyCheck(w http.ResponseWriter, r *http.Request, pg *page, form string, h text.ReplyHints, err error, show func()) {
	rc := &replyCheck{Form: form}
	if e := apperr.As(err); err == nil {
		rc.Flagged, rc.Items = h.Flagged(), replyItems(pg, h)
	} else if e != nil && e.Kind == apperr.Invalid {
		rc.Err = pg.T(e.Key, e.Args...)
	} else {
		if !s.hardError(w, r, err) {
			s.failPage(w, r, err)
		}
		return
	}
	if r.Header.Get("HX-Request") != "" {
		pg.D = replyOnly{Reply: rc}
		s.renderPartial(w, "reply_hints_body", pg)
		return
	}
	pg.D = rc
	show()
}

// replyItems says each hint in words: the missing key terms (five at
// most), the copies or the little left once stock phrases are removed.
func replyItems(pg *page, h text.ReplyHints) []string {
	var out []string
	if h.OffTopic {
		out = append(out, pg.T("ui.reply.off_topic", strings.Join(h.Missing[:min(5, len(h.Missing))], "、"),
			strconv.Itoa(int(h.Coverage*100+0.5))+"%"))
	}
	if h.Boilerplate {
		if h.Copies >= 3 {
			out = append(out, pg.T("ui.reply.copies", h.Copies))
		} else {
			out = append(out, pg.T("ui.reply.thin", h.Substance))
		}
	}
	if h.NoBasis {
		out = append(out, pg.T("ui.reply.no_basis"))
	}
	if h.NoFollowUp {
		out = append(out, pg.T("ui.reply.no_follow_up"))
	}
	if len(out) == 0 {
		out = append(out, pg.T("ui.reply.ok"))
	}
	return out
}
