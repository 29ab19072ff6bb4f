package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
)

// userBody is a person as the API shows them (never a password or its hash).
type userBody struct {
	Username    string      `json:"username"`
	Name        string      `json:"name"`
	UnitCode    string      `json:"unit_code"`
	UnitName    string      `json:"unit_name"`
	Roles       []roleGrant `json:"roles"`
	TOTPEnabled bool        `json:"totp_enabled"`
	Disabled    bool        `json:"disabled"`
	Locked      bool        `json:"locked"`
	CreatedAt   int64       `json:"created_at"`
}

func userView(u org.User) userBody {
	b := userBody{Username: u.Username, Name: u.Name, UnitCode: u.UnitCode, UnitName: u.UnitName,
		Roles: make([]roleGrant, 0, len(u.Roles)), TOTPEnabled: u.TOTPEnabled, Disabled: u.Disabled,
		Locked: u.Locked, CreatedAt: u.CreatedAt}
	for _, g := range u.Roles {
		b.Roles = append(b.Roles, roleGrant(g))
	}
	return b
}

func toGrants(rs []roleGrant) []org.RoleGrant {
	out := make([]org.RoleGrant, 0, len(rs))
	for _, g := range rs {
		out = append(out, org.RoleGrant(g))
	}
	return out
}

// pathUser reads {username}; usernames are stored in lower case.
func pathUser(r *http.Request) string { return strings.ToLower(r.PathValue("username")) }

func (s *server) listUsers(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	users, total, err := org.ListUsers(r.Context(), s.DB, p, org.UserFilter{
		UnitCode: q.Get("unit_code"), Role: q.Get("role"), Q: q.Get("q"), Offset: pg.offset(), Limit: pg.PerPage})
	if err != nil {
		return err
	}
	items := make([]userBody, 0, len(users))
	for _, u := range users {
		items = append(items, userView(u))
	}
	writeList(w, items, total, pg)
	return nil
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[userCreateRequest](w, r)
	if err != nil {
		return err
	}
	u, err := org.CreateUser(r.Context(), s.DB, p, org.UserInput{Username: in.Username, Name: in.Name,
		UnitCode: in.UnitCode, Roles: toGrants(in.Roles), Password: in.Password})
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/users/"+url.PathEscape(u.Username))
	writeJSON(w, http.StatusCreated, userView(u))
	return nil
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	u, err := org.GetUser(r.Context(), s.DB, p, pathUser(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

func (s *server) patchUser(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[userPatchRequest](w, r)
	if err != nil {
		return err
	}
	if in.Name == nil && in.UnitCode == nil && in.Roles == nil && in.Disabled == nil {
		return apperr.Invalidf("", "err.api.patch_empty")
	}
	patch := org.UserPatch{Name: in.Name, UnitCode: in.UnitCode, Disabled: in.Disabled}
	if in.Roles != nil {
		gs := toGrants(*in.Roles)
		patch.Roles = &gs
	}
	u, err := org.UpdateUser(r.Context(), s.DB, p, pathUser(r), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

func (s *server) resetPassword(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[passwordRequest](w, r)
	if err != nil {
		return err
	}
	if err := org.ResetPassword(r.Context(), s.DB, p, pathUser(r), in.Password); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
