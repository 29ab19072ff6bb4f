package api

import (
	"net/http"
	"strconv"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
)

// 我为群众办实事: projects within the ledger scopes, their milestones and
// evidence, and the public list of a unit subtree's public projects.

func (s *server) registerProjects(authed func(string, handlerFunc), public func(string, http.HandlerFunc)) {
	public("GET "+Prefix+"/public/projects", func(w http.ResponseWriter, r *http.Request) {
		if err := s.publicProjects(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
	authed("GET "+Prefix+"/projects", s.listProjects)
	authed("POST "+Prefix+"/projects", s.createProject)
	authed("GET "+Prefix+"/projects/{id}", s.getProject)
	authed("POST "+Prefix+"/projects/{id}/milestones", s.addMilestone)
	authed("POST "+Prefix+"/projects/{id}/milestones/{mid}/done", s.milestoneDone)
	authed("POST "+Prefix+"/projects/{id}/advance", s.advanceProject)
	authed("POST "+Prefix+"/projects/{id}/evaluation", s.evaluateProject)
	s.registerPledges(authed, public)
}

type (
	milestoneDoneRequest struct {
		Note string `json:"note"`
	}
	evaluationRequest struct {
		Checks []project.Check `json:"checks"`
	}
	publicProject struct {
		project.Project
		Ratings     rating.ProjectFigures `json:"ratings"`
		RatingToken string                `json:"rating_token"`
	}
)

func (s *server) publicProjects(w http.ResponseWriter, r *http.Request) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	items, total, err := s.Projects.PublicList(r.Context(), r.URL.Query().Get("unit"), project.Filter{Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	out := make([]publicProject, 0, len(items))
	for _, it := range items {
		// staff names stay off the public answer
		it.Leader, it.Handler, it.EvaluatedBy = "", "", ""
		pp := publicProject{Project: it}
		if pp.Ratings, err = s.Ratings.ForProject(r.Context(), it.ID); err != nil {
			return err
		}
		if pp.RatingToken, err = s.Ratings.Token(r.Context(), it.ID); err != nil {
			return err
		}
		out = append(out, pp)
	}
	writeList(w, out, total, pg)
	return nil
}

func (s *server) listProjects(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, total, err := s.Projects.List(r.Context(), p, project.Filter{Unit: q.Get("unit"), Status: q.Get("status"),
		Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	writeList(w, items, total, pg)
	return nil
}

func (s *server) createProject(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[project.Input](w, r)
	if err != nil {
		return err
	}
	pr, err := s.Projects.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/projects/"+strconv.FormatInt(pr.ID, 10))
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

func (s *server) getProject(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := s.Projects.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *server) addMilestone(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[project.MilestoneInput](w, r)
	if err != nil {
		return err
	}
	pr, err := s.Projects.AddMilestone(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

func (s *server) milestoneDone(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mid, err := pathID(r, "mid")
	if err != nil {
		return err
	}
	in, files, err := readForm[milestoneDoneRequest](w, r, s.uploadLimit(), "evidence")
	if err != nil {
		return err
	}
	defer files.close()
	ups, err := files.uploads("evidence")
	if err != nil {
		return err
	}
	if len(ups) > 1 {
		return apperr.Invalidf("evidence", "err.problem.too_many_files", 1)
	}
	var up *project.Upload
	if len(ups) == 1 {
		up = &project.Upload{Name: ups[0].Name, R: ups[0].R}
	}
	pr, err := s.Projects.MilestoneDone(r.Context(), p, id, mid, in.Note, up)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *server) advanceProject(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := s.Projects.Advance(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *server) evaluateProject(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[evaluationRequest](w, r)
	if err != nil {
		return err
	}
	pr, err := s.Projects.Evaluate(r.Context(), p, id, in.Checks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// projectsDoc adds 我为群众办实事 to the OpenAPI document.
func projectsDoc(paths, schemas obj) {
	pledgesDoc(paths, schemas)
	needsDoc(paths, schemas)
	id := obj{"name": "id", "in": "path", "required": true, "description": "project id",
		"schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	mid := obj{"name": "mid", "in": "path", "required": true, "description": "milestone id",
		"schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	writes := []string{"400", "403", "404", "409", "415"}
	statuses := make([]string, len(project.Statuses))
	for i, st := range project.Statuses {
		statuses[i] = string(st)
	}
	pub := op("publicProjects", "public", "Public projects (adopted onward) of a unit's subtree, with progress, milestones, "+
		"rating figures and a fresh rating token for POST /api/v1/public/ratings (no account)",
		cat(pageParams, []any{query("unit", "a unit code: its subtree", obj{"type": "string"})}), nil,
		obj{"200": ok("a page of projects", "PublicProjectList")}, "400")
	pub["security"] = []any{}
	delete(pub["responses"].(obj), "401")
	paths["/api/v1/public/projects"] = obj{"get": pub}
	paths["/api/v1/projects"] = obj{
		"get": op("listProjects", "projects", "Projects of the units whose ledger the principal reads",
			cat(pageParams, []any{query("unit", "a unit code: its subtree", obj{"type": "string"}),
				query("status", "a status", obj{"type": "string", "enum": toAny(statuses)})}), nil,
			obj{"200": ok("a page of projects", "ProjectList")}, "400"),
		"post": op("createProject", "projects", "Propose a project (problem.write on the unit)", nil, jsonBody("ProjectCreate"),
			obj{"201": created("the project", "Project", true)}, writes...),
	}
	paths["/api/v1/projects/{id}"] = obj{"parameters": []any{id},
		"get": op("getProject", "projects", "One project with its milestones", nil, nil, obj{"200": ok("the project", "Project")}, "404")}
	paths["/api/v1/projects/{id}/milestones"] = obj{"parameters": []any{id},
		"post": op("addMilestone", "projects", "Add a milestone (date, what, weight)", nil, jsonBody("MilestoneCreate"),
			obj{"201": ok("the project", "Project")}, writes...)}
	paths["/api/v1/projects/{id}/milestones/{mid}/done"] = obj{"parameters": []any{id, mid},
		"post": op("milestoneDone", "projects", "Mark a milestone done: multipart/form-data with one evidence file in `evidence` (required) and an optional `note`",
			nil, obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": object([]string{"evidence"}, obj{
				"note": str("note"), "evidence": obj{"type": "string", "contentMediaType": "application/octet-stream"}})}}},
			obj{"200": ok("the project", "Project")}, append(writes, "413")...)}
	paths["/api/v1/projects/{id}/advance"] = obj{"parameters": []any{id},
		"post": op("advanceProject", "projects", "Next step: adopt (problem.decide), start, finish (every milestone done with evidence)",
			nil, nil, obj{"200": ok("the project", "Project")}, "403", "404", "409")}
	paths["/api/v1/projects/{id}/evaluation"] = obj{"parameters": []any{id},
		"post": op("evaluateProject", "projects", "The supervisor's evaluation (problem.verify) of a done project with at least one public rating",
			nil, jsonBody("ProjectEvaluation"), obj{"200": ok("the project", "Project")}, writes...)}

	milestone := obj{"type": "object", "properties": obj{"id": integer("id"), "due": str("day"), "what": str("what"),
		"weight": integer("weight"), "done_at": integer("unix ms"), "done_by": str("name"), "evidence_id": integer("attachment"),
		"evidence_name": str("file name"), "note": str("note")}}
	check := object([]string{"item", "score", "comment"}, obj{"item": strEnum("checklist item", project.CheckItems...),
		"score": obj{"type": "integer", "minimum": 1, "maximum": 10}, "comment": str("comment")})
	props := obj{"id": integer("id"), "number": str("SS-YYYY-NNNNNN"), "title": str("title"),
		"area":      strEnum("保民安 safety, 纾民怨 grievance, 解民忧 worry, 增民利 benefit, 促民享 enjoy, 暖民心 warmth", project.Areas...),
		"unit_code": str("responsible unit"), "unit_name": str("unit name"), "leader": str("username"), "leader_name": str("name"),
		"handler": str("username"), "handler_name": str("name"), "beneficiaries": str("who benefits"), "plan": str("plan"),
		"measures": str("measures"), "start": str("day"), "end": str("day"), "public": boolean("on the public pages"),
		"status": obj{"type": "string", "enum": toAny(statuses)}, "progress": integer("percent: weighted share of milestones done with evidence"),
		"milestones": obj{"type": "array", "items": milestone}, "evaluation": obj{"type": "array", "items": check},
		"evaluated_by": str("name"), "evaluated_at": integer("unix ms"), "created_at": integer("unix ms"), "updated_at": integer("unix ms")}
	schemas["Project"] = obj{"type": "object", "properties": props}
	schemas["ProjectList"] = listOf("Project")
	pp := obj{}
	for k, v := range props {
		pp[k] = v
	}
	pp["ratings"] = obj{"type": "object", "properties": obj{"count": integer("ratings"), "average": obj{"type": "number"},
		"satisfaction": obj{"type": "object"}}}
	pp["rating_token"] = str("send back as `token` with a rating of this project")
	schemas["PublicProject"] = obj{"type": "object", "properties": pp}
	schemas["PublicProjectList"] = listOf("PublicProject")
	schemas["ProjectCreate"] = object([]string{"title", "area", "unit_code", "leader", "handler", "start", "end"}, obj{
		"title": str("title"), "area": strEnum("area", project.Areas...), "unit_code": str("responsible unit"),
		"leader": str("leading official's username"), "handler": str("person in charge's username"),
		"beneficiaries": str("who benefits"), "plan": str("plan"), "measures": str("measures"),
		"start": str("day"), "end": str("day"), "public": boolean("show on the public pages"),
		"need_id": integer("the 群众点单 need this project takes (接单): open, in the principal's writable scope")})
	schemas["MilestoneCreate"] = object([]string{"due", "what", "weight"}, obj{"due": str("day"), "what": str("what"),
		"weight": obj{"type": "integer", "minimum": 1, "maximum": 100}})
	schemas["ProjectEvaluation"] = object([]string{"checks"}, obj{"checks": obj{"type": "array", "items": check,
		"description": "quality, then effect"}})
}

// ---------------------------------------------------------------- pledges

func (s *server) registerPledges(authed func(string, handlerFunc), public func(string, http.HandlerFunc)) {
	public("GET "+Prefix+"/public/pledges", func(w http.ResponseWriter, r *http.Request) {
		list, err := s.Projects.PublicPledges(r.Context(), r.URL.Query().Get("unit"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for i := range list {
			list[i].KeptBy = "" // staff names stay off the public answer
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
	})
	authed("GET "+Prefix+"/pledges", func(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
		list, err := s.Projects.Pledges(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
		return nil
	})
	authed("POST "+Prefix+"/pledges", func(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
		in, err := readJSON[project.PledgeInput](w, r)
		if err != nil {
			return err
		}
		g, err := s.Projects.Pledge(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, g)
		return nil
	})
	authed("POST "+Prefix+"/pledges/{id}/kept", func(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		in, files, err := readForm[milestoneDoneRequest](w, r, s.uploadLimit(), "evidence")
		if err != nil {
			return err
		}
		defer files.close()
		ups, err := files.uploads("evidence")
		if err != nil {
			return err
		}
		var up *project.Upload
		if len(ups) > 0 {
			up = &project.Upload{Name: ups[0].Name, R: ups[0].R}
		}
		g, err := s.Projects.KeepPledge(r.Context(), p, id, in.Note, up)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, g)
		return nil
	})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// pledgesDoc adds 承诺践诺 to the OpenAPI document.
func pledgesDoc(paths, schemas obj) {
	pledge := obj{"type": "object", "properties": obj{"id": integer("id"), "unit_code": str("unit"), "unit_name": str("unit name"),
		"content": str("what is pledged"), "due": str("day"), "public": boolean("on the public pages"),
		"kept_at": integer("unix ms"), "kept_by": str("name (staff views)"), "kept_note": str("how it was kept"),
		"evidence_id": integer("attachment"), "late": boolean("past its day and not kept"), "created_at": integer("unix ms")}}
	schemas["Pledge"] = pledge
	schemas["PledgeItems"] = object([]string{"items"}, obj{"items": obj{"type": "array", "items": schemaRef("Pledge")}})
	schemas["PledgeCreate"] = object([]string{"unit_code", "content", "due"}, obj{"unit_code": str("unit"),
		"content": obj{"type": "string", "maxLength": 500}, "due": str("day"), "public": boolean("show on the public pages")})
	pub := op("publicPledges", "public", "Public pledges (承诺践诺) of a unit's subtree (no account)",
		[]any{query("unit", "a unit code: its subtree", obj{"type": "string"})}, nil, obj{"200": ok("the pledges", "PledgeItems")}, "400")
	pub["security"] = []any{}
	delete(pub["responses"].(obj), "401")
	paths["/api/v1/public/pledges"] = obj{"get": pub}
	paths["/api/v1/pledges"] = obj{
		"get":  op("listPledges", "projects", "Pledges of the units whose ledger the principal reads (at most 500, by day)", nil, nil, obj{"200": ok("the pledges", "PledgeItems")}),
		"post": op("createPledge", "projects", "Make a pledge (problem.write on the unit)", nil, jsonBody("PledgeCreate"), obj{"201": ok("the pledge", "Pledge")}, "400", "415"),
	}
	id := obj{"name": "id", "in": "path", "required": true, "description": "pledge id", "schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	paths["/api/v1/pledges/{id}/kept"] = obj{"parameters": []any{id},
		"post": op("keepPledge", "projects", "Record how the pledge was kept: multipart/form-data with one file in `evidence` (required) and an optional `note`",
			nil, obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": object([]string{"evidence"}, obj{
				"note": str("how it was kept"), "evidence": obj{"type": "string", "contentMediaType": "application/octet-stream"}})}}},
			obj{"200": ok("the pledge", "Pledge")}, "400", "403", "404", "409", "413", "415")}
}
