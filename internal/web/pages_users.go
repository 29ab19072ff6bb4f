package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
)

type usersData struct {
	Users   []personRow
	Pager   pager
	CanEdit bool
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.nav.users", "users")
	pg.flashFrom(r)
	q := r.URL.Query()
	for _, k := range []string{"unit", "role", "q"} {
		pg.Vals.Set(k, strings.TrimSpace(q.Get(k)))
	}
	off := pageOffset(r)
	d := usersData{CanEdit: org.CanAnywhere(p, org.UserWrite)}
	users, total, err := org.ListUsers(r.Context(), s.DB, p, org.UserFilter{UnitCode: pg.Val("unit"), Role: pg.Val("role"),
		Q: pg.Val("q"), Offset: off, Limit: pageSize})
	status := http.StatusOK
	if err != nil {
		// a bad filter (unknown unit, unknown role) is shown on the filter form
		status = s.formError(r, pg, "filter", err)
		if pg.Fields["unit_code"] != "" || status == http.StatusNotFound {
			pg.Fields["unit"] = pg.Error
		}
		if status == http.StatusNotFound {
			status = http.StatusBadRequest
		}
	}
	d.Users, d.Pager = pg.personRows(users), newPager(r, off, len(users), total)
	pg.D = d
	s.render(w, r, status, "users", pg)
}

// roleGrants reads the role checkboxes ("role") and their optional scopes ("scope_ROLE").
func roleGrants(form url.Values) []org.RoleGrant {
	var out []org.RoleGrant
	for _, role := range form["role"] {
		out = append(out, org.RoleGrant{Role: role, ScopeCode: strings.TrimSpace(form.Get("scope_" + role))})
	}
	return out
}

func (s *Server) userNewPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, org.UserWrite) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.users.new", "users")
	pg.Vals.Set("unit_code", r.URL.Query().Get("unit"))
	s.render(w, r, http.StatusOK, "user_new", pg)
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.ParseForm()
	in := org.UserInput{Username: r.PostFormValue("username"), Name: r.PostFormValue("name"),
		UnitCode: r.PostFormValue("unit_code"), Roles: roleGrants(r.PostForm), Password: r.PostFormValue("password")}
	u, err := org.CreateUser(r.Context(), s.DB, p, in)
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.users.new", "users")
		pg.Vals = r.PostForm
		pg.Vals.Del("password") // never echo a password
		s.render(w, r, s.formError(r, pg, "user", err), "user_new", pg)
		return
	}
	redirect(w, r, "/users/"+pathEscape(u.Username)+"?done=user_created")
}

type userData struct {
	User    org.User
	CanEdit bool
	Email   string
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.nav.users", "users")
	pg.flashFrom(r)
	s.showUser(w, r, p, pg, http.StatusOK, false)
}

// showUser renders a person's page. Without kept values the edit form is
// filled from the record.
func (s *Server) showUser(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int, keep bool) {
	u, err := org.GetUser(r.Context(), s.DB, p, r.PathValue("username"))
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := userData{User: u, CanEdit: org.Can(p, org.UserWrite, u.UnitPath)}
	if d.Email, err = org.UserEmail(r.Context(), s.DB.Read, u.ID); err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Email = emailShown(r, pg, d.Email)
	if !keep {
		pg.Vals = url.Values{}
		pg.Vals.Set("name", u.Name)
		pg.Vals.Set("unit_code", u.UnitCode)
		for _, g := range u.Roles {
			pg.Vals.Add("role", g.Role)
			if g.ScopeCode != u.UnitCode {
				pg.Vals.Set("scope_"+g.Role, g.ScopeCode)
			}
		}
		if u.Disabled {
			pg.Vals.Set("disabled", "yes")
		}
	}
	pg.Title = u.Name
	pg.D = d
	s.render(w, r, status, "user", pg)
}

func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.ParseForm()
	name, unit := r.PostFormValue("name"), r.PostFormValue("unit_code")
	roles := roleGrants(r.PostForm)
	disabled := r.PostFormValue("disabled") == "yes"
	_, err := org.UpdateUser(r.Context(), s.DB, p, r.PathValue("username"),
		org.UserPatch{Name: &name, UnitCode: &unit, Roles: &roles, Disabled: &disabled})
	s.afterUserChange(w, r, p, "edit", "user_updated", err)
}

func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	err := org.ResetPassword(r.Context(), s.DB, p, r.PathValue("username"), r.PostFormValue("new_password"))
	s.afterUserChange(w, r, p, "reset", "password_reset", err)
}

func (s *Server) userResetTOTP(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	err := auth.DisableTOTP(r.Context(), s.DB, p, r.PathValue("username"))
	s.afterUserChange(w, r, p, "totp", "totp_reset", err)
}

func (s *Server) afterUserChange(w http.ResponseWriter, r *http.Request, p *org.Principal, form, done string, err error) {
	if err == nil {
		redirect(w, r, "/users/"+pathEscape(r.PathValue("username"))+"?done="+done)
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	pg := s.newPage(r, "ui.nav.users", "users")
	keep := form == "edit"
	if keep {
		pg.Vals = r.PostForm
	}
	st := s.formError(r, pg, form, err)
	if !keep && pg.Fields["password"] != "" {
		pg.Fields["new_password"] = pg.Fields["password"]
	}
	s.showUser(w, r, p, pg, st, keep)
}
