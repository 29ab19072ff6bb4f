package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"

	"github.com/pquerna/otp"

	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
)

// afterLogin is where a fully signed-in person goes next.
func afterLogin(sess *auth.Session, next string) string {
	if sess != nil && sess.MustChangePW {
		return "/account/password"
	}
	return localPath(next)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if auth.PrincipalFrom(r.Context()) != nil {
		redirect(w, r, "/")
		return
	}
	pg := s.newPage(r, "ui.login.title", "")
	pg.Vals.Set("next", r.URL.Query().Get("next"))
	s.render(w, r, http.StatusOK, "login", pg)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := s.newPage(r, "ui.login.title", "")
	username, pw, next := r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("next")
	pg.Vals.Set("username", username)
	pg.Vals.Set("next", next)
	res, err := auth.Login(ctx, s.DB, s.Policy, username, pw)
	if err != nil {
		s.render(w, r, s.formError(r, pg, "login", err), "login", pg)
		return
	}
	s.setSession(w, res.Token)
	switch res.Stage {
	case auth.StageTOTP:
		redirect(w, r, "/login/totp")
	case auth.StageTOTPEnrol:
		redirect(w, r, "/login/totp/setup")
	default:
		sess, err := auth.Authenticate(ctx, s.DB, s.Policy, res.Token)
		if err != nil {
			sess = nil
		}
		redirect(w, r, afterLogin(sess, next))
	}
}

// ---------------------------------------------------------------- second factor at login

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request) {
	sess := auth.SessionFrom(r.Context())
	if sess == nil || sess.Stage != auth.StageTOTP {
		s.notAtStep(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "totp", s.newPage(r, "ui.totp.title", ""))
}

func (s *Server) totpSubmit(w http.ResponseWriter, r *http.Request) {
	sess := auth.SessionFrom(r.Context())
	if sess == nil || sess.Stage != auth.StageTOTP {
		s.notAtStep(w, r)
		return
	}
	if err := auth.VerifyTOTP(r.Context(), s.DB, s.Policy, sess, r.PostFormValue("code")); err != nil {
		pg := s.newPage(r, "ui.totp.title", "")
		s.render(w, r, s.formError(r, pg, "totp", err), "totp", pg)
		return
	}
	redirect(w, r, afterLogin(sess, "/"))
}

// notAtStep sends a visitor who is not at this step of the login where they belong.
func (s *Server) notAtStep(w http.ResponseWriter, r *http.Request) {
	if auth.PrincipalFrom(r.Context()) != nil {
		redirect(w, r, "/")
		return
	}
	if r.Method != http.MethodGet {
		s.errorPage(w, r, http.StatusUnauthorized)
		return
	}
	redirect(w, r, "/login")
}

// ---------------------------------------------------------------- second factor set-up

// totpSetup is the data of the set-up page.
type totpSetup struct {
	Secret string
	QR     template.URL
	Forced bool // the login cannot finish without it (a role requires it)
}

// setupSession returns the session allowed to set up a second factor: one
// waiting for enrolment, or a full one whose owner turns it on from 我的账号.
func (s *Server) setupSession(r *http.Request) (*auth.Session, org.User, bool) {
	sess := auth.SessionFrom(r.Context())
	if sess == nil || (sess.Stage != auth.StageTOTPEnrol && auth.PrincipalFrom(r.Context()) == nil) {
		return nil, org.User{}, false
	}
	u, err := org.UserByID(r.Context(), s.DB.Read, sess.UserID)
	if err != nil || u.TOTPEnabled {
		return nil, org.User{}, false
	}
	return sess, u, true
}

func (s *Server) totpSetupPage(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := s.setupSession(r)
	if !ok {
		s.notAtStep(w, r)
		return
	}
	pg := s.newPage(r, "ui.totp.setup_title", "account")
	if err := s.fillSetup(r, pg, sess, u); err != nil {
		s.failPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "totp_setup", pg)
}

func (s *Server) totpSetupSubmit(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := s.setupSession(r)
	if !ok {
		s.notAtStep(w, r)
		return
	}
	if err := auth.ConfirmTOTP(r.Context(), s.DB, u.ID, sess.ID, r.PostFormValue("code")); err != nil {
		pg := s.newPage(r, "ui.totp.setup_title", "account")
		st := s.formError(r, pg, "totp", err)
		if ferr := s.fillSetup(r, pg, sess, u); ferr != nil {
			s.failPage(w, r, ferr)
			return
		}
		s.render(w, r, st, "totp_setup", pg)
		return
	}
	if sess.Stage == auth.StageTOTPEnrol {
		redirect(w, r, afterLogin(sess, "/"))
		return
	}
	redirect(w, r, "/account?done=totp_enabled")
}

// fillSetup shows the pending secret, creating one only when none is pending,
// so reloading the page does not invalidate a phone that already scanned it.
func (s *Server) fillSetup(r *http.Request, pg *page, sess *auth.Session, u org.User) error {
	ctx := r.Context()
	secret, err := auth.PendingTOTPSecret(ctx, s.DB, u.ID)
	if err != nil {
		return err
	}
	var key *otp.Key
	if secret == "" {
		if key, err = auth.BeginTOTP(ctx, s.DB, u.ID, u.Username); err != nil {
			return err
		}
	} else {
		v := url.Values{"secret": {secret}, "issuer": {"luoshi"}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
		k := url.URL{Scheme: "otpauth", Host: "totp", Path: "/luoshi:" + u.Username, RawQuery: v.Encode()}
		if key, err = otp.NewKeyFromURL(k.String()); err != nil {
			return err
		}
	}
	d := totpSetup{Secret: key.Secret(), Forced: sess.Stage == auth.StageTOTPEnrol}
	if img, err := key.Image(200, 200); err == nil {
		var buf bytes.Buffer
		if png.Encode(&buf, img) == nil {
			d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
		}
	}
	pg.D = d
	return nil
}

// ---------------------------------------------------------------- logout

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if sess := auth.SessionFrom(ctx); sess != nil {
		p := auth.PrincipalFrom(ctx)
		if p == nil { // a half-finished login: name the person for the trail
			if u, err := org.UserByID(ctx, s.DB.Read, sess.UserID); err == nil {
				p = &org.Principal{UserID: u.ID, Username: u.Username, UnitID: u.UnitID}
			}
		}
		if p != nil {
			if err := auth.Logout(ctx, s.DB, p, sess.ID); err != nil {
				s.Log.Error("logout", "err", err)
			}
		}
	}
	s.clearSession(w)
	redirect(w, r, "/login")
}
