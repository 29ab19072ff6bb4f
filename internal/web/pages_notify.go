package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/notify"
	"github.com/luoshi/luoshi/internal/org"
)

// registerNotifyPages mounts the robots of a unit, email addresses and the
// list of messages that did not go out.
func (s *Server) registerNotifyPages() {
	s.handle("POST /units/{code}/robots", s.full(s.robotAdd))
	s.handle("POST /units/{code}/robots/{id}/delete", s.full(s.robotDelete))
	s.handle("POST /units/{code}/robots/{id}/test", s.full(s.robotTest))
	s.handle("POST /users/{username}/email", s.full(s.userEmail))
	s.handle("POST /account/email", s.full(s.accountEmail))
	s.handle("GET /settings/notifications", s.full(s.notifyProblemsPage))
}

func init() {
	flashMessages["robot_added"] = "msg.notify.robot_added"
	flashMessages["robot_deleted"] = "msg.notify.robot_deleted"
	flashMessages["robot_tested"] = "msg.notify.robot_tested"
	flashMessages["email_saved"] = "msg.notify.email_saved"
}

// robotsData is the robots panel of a unit page (shown to admins of the unit).
type robotsData struct {
	Can   bool
	Hooks []notify.Webhook
	Kinds []string
}

// unitRobots loads the robots panel for unit path/code, when p may manage it.
func (s *Server) unitRobots(ctx context.Context, p *org.Principal, u org.Unit) (robotsData, error) {
	if !notify.CanManageWebhooks(p, u.Path) {
		return robotsData{}, nil
	}
	hooks, err := notify.ListWebhooks(ctx, s.DB, p, u.Code)
	return robotsData{Can: true, Hooks: hooks, Kinds: notify.Robots}, err
}

// RobotName is the display name of a robot kind.
func (p *page) RobotName(kind string) string {
	if notify.ValidRobot(kind) {
		return p.T(keyRobot + kind)
	}
	return kind
}

func (s *Server) robotAdd(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	code := r.PathValue("code")
	in := notify.WebhookInput{Kind: r.PostFormValue("kind"), URL: r.PostFormValue("url"), Secret: r.PostFormValue("secret")}
	_, err := notify.AddWebhook(r.Context(), s.DB, p, code, in)
	r.PostForm.Del("secret") // a secret is never sent back to the browser
	s.afterUnitChange(w, r, p, "robot", code, "robot_added", err)
}

func robotID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, apperr.ErrNotFound
	}
	return id, nil
}

func (s *Server) robotDelete(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	code := r.PathValue("code")
	id, err := robotID(r)
	if err == nil {
		err = notify.DeleteWebhook(r.Context(), s.DB, p, code, id)
	}
	s.afterUnitChange(w, r, p, "robot_list", code, "robot_deleted", err)
}

func (s *Server) robotTest(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	code := r.PathValue("code")
	id, err := robotID(r)
	if err == nil {
		err = notify.TestWebhook(r.Context(), s.DB, p, notify.NewRobots(s.DB), s.Cfg.BaseURL, code, id)
	}
	s.afterUnitChange(w, r, p, "robot_list", code, "robot_tested", err)
}

func (s *Server) userEmail(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	err := org.SetEmail(r.Context(), s.DB, p, r.PathValue("username"), r.PostFormValue("email"))
	s.afterUserChange(w, r, p, "email", "email_saved", err)
}

func (s *Server) accountEmail(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	err := org.SetEmail(r.Context(), s.DB, p, p.Username, r.PostFormValue("email"))
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.nav.account", "account")
		st := s.formError(r, pg, "email", err)
		s.showAccount(w, r, p, pg, st, "")
		return
	}
	redirect(w, r, "/account?done=email_saved")
}

// emailShown is the address an email form shows: what was typed when that
// form failed, else what is stored.
func emailShown(r *http.Request, pg *page, stored string) string {
	if pg.Form == "email" {
		return r.PostFormValue("email")
	}
	return stored
}

// notifyProblemsPage lists the messages that did not go out (waiting for a
// retry, given up or skipped), for the operator.
func (s *Server) notifyProblemsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.IsRootAdmin(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.notify.problems", "settings")
	list, err := notify.Failed(r.Context(), s.DB, p, pageOffset(r), 100)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.D = struct {
		Problems []notify.Problem
		Email    bool
	}{list, s.Cfg.SMTP.Host != ""}
	s.render(w, r, http.StatusOK, "notify_problems", pg)
}

// keyRobot prefixes the robot kinds' names (split: see keyRole).
const keyRobot = "ui" + ".notify.robot."
