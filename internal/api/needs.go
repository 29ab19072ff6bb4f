package api

import (
	"net/http"
	"strconv"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
)

// 群众点单: the public proposes, lists, supports and follows needs without
// an account; staff list the needs of their scope and decline one (taking
// a need is POST /projects with need_id).

func (s *server) registerNeeds(authed func(string, handlerFunc), public func(string, http.HandlerFunc)) {
	pub := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		public(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.fail(w, r, err)
			}
		})
	}
	pub("GET "+Prefix+"/public/needs", s.publicNeeds)
	pub("POST "+Prefix+"/public/needs", s.proposeNeed)
	pub("GET "+Prefix+"/public/needs/{id}", s.publicNeed)
	pub("POST "+Prefix+"/public/needs/{id}/votes", s.voteNeed)
	pub("POST "+Prefix+"/public/needs/follow", s.followNeed)
	authed("GET "+Prefix+"/needs", s.listNeeds)
	authed("GET "+Prefix+"/needs/{id}", s.getNeed)
	authed("POST "+Prefix+"/needs/{id}/decline", s.declineNeed)
}

type (
	publicNeed struct {
		project.Need
		VoteToken string `json:"vote_token,omitempty"`
	}
	voteRequest struct {
		Token string `json:"token"`
	}
	followRequest struct {
		Receipt string `json:"receipt"`
		Key     string `json:"key"`
	}
	declineRequest struct {
		Answer string `json:"answer"`
	}
)

func needID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, apperr.ErrNotFound
	}
	return id, nil
}

func needFilter(r *http.Request, pg page) project.NeedFilter {
	q := r.URL.Query()
	return project.NeedFilter{Unit: q.Get("unit"), Status: q.Get("status"), Page: pg.Page, PerPage: pg.PerPage}
}

func (s *server) publicNeeds(w http.ResponseWriter, r *http.Request) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	f := needFilter(r, pg)
	items, total, err := s.Projects.PublicNeeds(r.Context(), f.Unit, f)
	if err != nil {
		return err
	}
	writeList(w, nonNil(items), total, pg)
	return nil
}

func (s *server) proposeNeed(w http.ResponseWriter, r *http.Request) error {
	in, err := readJSON[project.NeedInput](w, r)
	if err != nil {
		return err
	}
	rc, err := s.Projects.ProposeNeed(r.Context(), in, clientAddr(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store") // the key is shown once
	writeJSON(w, http.StatusCreated, rc)
	return nil
}

func (s *server) publicNeed(w http.ResponseWriter, r *http.Request) error {
	id, err := needID(r)
	if err != nil {
		return err
	}
	n, err := s.Projects.PublicNeed(r.Context(), id)
	if err != nil {
		return err
	}
	out := publicNeed{Need: n}
	if n.Status == project.NeedOpen {
		if out.VoteToken, err = s.Projects.VoteToken(r.Context(), id); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) voteNeed(w http.ResponseWriter, r *http.Request) error {
	id, err := needID(r)
	if err != nil {
		return err
	}
	in, err := readJSON[voteRequest](w, r)
	if err != nil {
		return err
	}
	n, err := s.Projects.VoteNeed(r.Context(), id, in.Token, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (s *server) followNeed(w http.ResponseWriter, r *http.Request) error {
	in, err := readJSON[followRequest](w, r)
	if err != nil {
		return err
	}
	n, err := s.Projects.FollowNeed(r.Context(), in.Receipt, in.Key, clientAddr(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *server) listNeeds(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	items, total, err := s.Projects.Needs(r.Context(), p, needFilter(r, pg))
	if err != nil {
		return err
	}
	writeList(w, nonNil(items), total, pg)
	return nil
}

func (s *server) getNeed(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := needID(r)
	if err != nil {
		return err
	}
	n, err := s.Projects.Need(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *server) declineNeed(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := needID(r)
	if err != nil {
		return err
	}
	in, err := readJSON[declineRequest](w, r)
	if err != nil {
		return err
	}
	n, err := s.Projects.DeclineNeed(r.Context(), p, id, in.Answer)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

// needsDoc adds 群众点单 to the OpenAPI document.
func needsDoc(paths, schemas obj) {
	areas := project.Areas
	need := obj{"type": "object", "properties": obj{"id": integer("id"), "unit_code": str("unit"), "unit_name": str("unit name"),
		"area": strEnum("area", areas...), "title": str("the need in one sentence"), "body": str("details (masked on public answers)"),
		"place": str("place"), "status": strEnum("status", project.NeedStatuses...), "votes": integer("supporting votes"),
		"project_id":    integer("the project that took it (public answers: once the project is public and adopted)"),
		"project_title": str("its title"), "answer": str("the unit's public reason when declined"),
		"answered_at": integer("unix ms"), "created_at": integer("unix ms"), "vote_token": str("single-use token for one vote (open needs)")}}
	schemas["Need"] = need
	schemas["NeedList"] = listOf("Need")
	schemas["NeedCreate"] = object([]string{"unit_code", "area", "title", "body"}, obj{"unit_code": str("unit (not a department)"),
		"area": strEnum("area", areas...), "title": obj{"type": "string", "maxLength": 200},
		"body": obj{"type": "string", "maxLength": 2000}, "place": obj{"type": "string", "maxLength": 200}})
	schemas["NeedReceipt"] = object([]string{"id", "receipt", "key"}, obj{"id": integer("need id"),
		"receipt": str("12 digits"), "key": str("20 characters, shown only now")})
	schemas["NeedVote"] = object([]string{"token"}, obj{"token": str("the need's vote_token")})
	schemas["NeedFollow"] = object([]string{"receipt", "key"}, obj{"receipt": str("receipt"), "key": str("key")})
	schemas["NeedDecline"] = object([]string{"answer"}, obj{"answer": obj{"type": "string", "maxLength": 500}})
	id := obj{"name": "id", "in": "path", "required": true, "description": "need id", "schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	filters := cat(pageParams, []any{query("unit", "a unit code: its subtree", obj{"type": "string"}),
		query("status", "open, taken or declined", strEnum("status", project.NeedStatuses...))})
	public := func(o obj) obj {
		o["security"] = []any{}
		delete(o["responses"].(obj), "401")
		return o
	}
	paths["/api/v1/public/needs"] = obj{
		"get": public(op("publicNeeds", "public", "Needs proposed to a unit's subtree (群众点单), most supported first, personal data masked (no account)",
			filters, nil, obj{"200": ok("a page of needs", "NeedList")}, "400")),
		"post": public(op("proposeNeed", "public", "Propose a need (no account; 5 per client address a day). The key is shown only in this answer",
			nil, jsonBody("NeedCreate"), obj{"201": ok("the receipt and key", "NeedReceipt")}, "400", "415", "429")),
	}
	paths["/api/v1/public/needs/{id}"] = obj{"parameters": []any{id},
		"get": public(op("publicNeed", "public", "One need as the public sees it, with a vote token while it is open",
			nil, nil, obj{"200": ok("the need", "Need")}, "404"))}
	paths["/api/v1/public/needs/{id}/votes"] = obj{"parameters": []any{id},
		"post": public(op("voteNeed", "public", "Support an open need once per token (20 votes per client address a day)",
			nil, jsonBody("NeedVote"), obj{"201": ok("the need", "Need")}, "400", "404", "409", "415", "429"))}
	paths["/api/v1/public/needs/follow"] = obj{
		"post": public(op("followNeed", "public", "The proposer's view of a need, by receipt and key (the same 400 for any wrong pair)",
			nil, jsonBody("NeedFollow"), obj{"200": ok("the need", "Need")}, "400", "415", "429"))}
	paths["/api/v1/needs"] = obj{
		"get": op("listNeeds", "projects", "Needs addressed to the units whose ledger the principal reads, unmasked", filters, nil,
			obj{"200": ok("a page of needs", "NeedList")}, "400")}
	paths["/api/v1/needs/{id}"] = obj{"parameters": []any{id},
		"get": op("getNeed", "projects", "One need in the principal's scope", nil, nil, obj{"200": ok("the need", "Need")}, "404")}
	paths["/api/v1/needs/{id}/decline"] = obj{"parameters": []any{id},
		"post": op("declineNeed", "projects", "Decline an open need with a reason the public sees (problem.write on its unit). "+
			"To take a need, create its project with `need_id` (POST /api/v1/projects)",
			nil, jsonBody("NeedDecline"), obj{"200": ok("the need", "Need")}, "400", "403", "404", "409", "415")}
}
