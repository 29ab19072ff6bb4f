package api

import (
	"net/http"
	"strconv"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
)

// tokenBody is an API token as listed; Token (the secret) is set only in the
// answer that creates it.
type tokenBody struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Prefix     string `json:"prefix"`
	CreatedAt  int64  `json:"created_at"`
	LastUsedAt *int64 `json:"last_used_at"`
	Revoked    bool   `json:"revoked"`
	RevokedAt  *int64 `json:"revoked_at"`
	Token      string `json:"token,omitempty"`
}

func tokenView(t auth.Token) tokenBody {
	b := tokenBody{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, Revoked: t.RevokedAt != 0}
	if t.LastUsedAt != 0 {
		v := t.LastUsedAt
		b.LastUsedAt = &v
	}
	if t.RevokedAt != 0 {
		v := t.RevokedAt
		b.RevokedAt = &v
	}
	return b
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	// a person holds a handful of tokens: page through them in memory
	ts, err := auth.ListTokens(r.Context(), s.DB, p)
	if err != nil {
		return err
	}
	items := []tokenBody{}
	for i := pg.offset(); i >= 0 && i < len(ts) && len(items) < pg.PerPage; i++ {
		items = append(items, tokenView(ts[i]))
	}
	writeList(w, items, len(ts), pg)
	return nil
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[tokenCreateRequest](w, r)
	if err != nil {
		return err
	}
	secret, t, err := auth.CreateToken(r.Context(), s.DB, p, p.Username, in.Name)
	if err != nil {
		return err
	}
	b := tokenView(t)
	b.Token = secret
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *server) deleteToken(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return apperr.ErrNotFound
	}
	if err := auth.RevokeToken(r.Context(), s.DB, p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
