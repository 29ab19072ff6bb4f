package web

import (
	"net/http"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
)

type accountData struct {
	User         org.User
	Tokens       []auth.Token
	NewToken     string // shown once, right after creation
	TOTPRequired bool
	MustChangePW bool
	Email        string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.nav.account", "account")
	pg.flashFrom(r)
	s.showAccount(w, r, p, pg, http.StatusOK, "")
}

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int, newToken string) {
	ctx := r.Context()
	u, err := org.UserByID(ctx, s.DB.Read, p.UserID)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := accountData{User: u, NewToken: newToken}
	if d.Email, err = org.UserEmail(ctx, s.DB.Read, p.UserID); err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Email = emailShown(r, pg, d.Email)
	if d.Tokens, err = auth.ListTokens(ctx, s.DB, p); err != nil {
		s.failPage(w, r, err)
		return
	}
	if d.TOTPRequired, err = auth.TOTPRequired(ctx, s.DB.Read, p.UserID); err != nil {
		s.failPage(w, r, err)
		return
	}
	if sess := auth.SessionFrom(ctx); sess != nil {
		d.MustChangePW = sess.MustChangePW
	}
	pg.D = d
	s.render(w, r, status, "account", pg)
}

// passwordPage is the password form alone: where a person whose password was
// reset by an administrator lands after signing in.
func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.account.password", "account")
	must := false
	if sess := auth.SessionFrom(r.Context()); sess != nil {
		must = sess.MustChangePW
	}
	pg.D = must
	s.render(w, r, http.StatusOK, "password", pg)
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	sess := auth.SessionFrom(r.Context())
	if sess == nil { // an API token cannot change the password
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	oldPW, newPW, again := r.PostFormValue("old_password"), r.PostFormValue("new_password"), r.PostFormValue("new_password2")
	var err error
	if newPW != again {
		err = apperr.Invalidf("new_password2", "err.password.mismatch")
	} else {
		err = auth.ChangePassword(r.Context(), s.DB, p, sess.ID, oldPW, newPW)
	}
	if err != nil {
		pg := s.newPage(r, "ui.account.password", "account")
		st := s.formError(r, pg, "password", err)
		if msg := pg.Fields["password"]; msg != "" { // the rules name the new password "password"
			pg.Fields["new_password"] = msg
		}
		pg.D = sess.MustChangePW
		s.render(w, r, st, "password", pg)
		return
	}
	redirect(w, r, "/account?done=password_changed")
}

func (s *Server) accountTOTPDisable(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	err := auth.DisableTOTP(r.Context(), s.DB, p, p.Username)
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.nav.account", "account")
		st := s.formError(r, pg, "totp", err)
		s.showAccount(w, r, p, pg, st, "")
		return
	}
	redirect(w, r, "/account?done=totp_disabled")
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.nav.account", "account")
	secret, _, err := auth.CreateToken(r.Context(), s.DB, p, p.Username, r.PostFormValue("name"))
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg.Vals = r.PostForm
		st := s.formError(r, pg, "token", err)
		s.showAccount(w, r, p, pg, st, "")
		return
	}
	pg.Flash = pg.T("msg.account.token_created")
	s.showAccount(w, r, p, pg, http.StatusOK, secret)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if err := auth.RevokeToken(r.Context(), s.DB, p, id); err != nil {
		s.failPage(w, r, err)
		return
	}
	redirect(w, r, "/account?done=token_revoked")
}
