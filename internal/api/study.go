package api

import (
	"net/http"
	"strconv"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/study"
)

// 学习教育: study tasks, reflections with their originality check.

func (s *server) registerStudy(authed func(string, handlerFunc)) {
	authed("GET "+Prefix+"/study/tasks", s.listStudyTasks)
	authed("POST "+Prefix+"/study/tasks", s.createStudyTask)
	authed("GET "+Prefix+"/study/tasks/{id}", s.getStudyTask)
	authed("POST "+Prefix+"/study/tasks/{id}/reflections", s.submitReflection)
	authed("GET "+Prefix+"/study/reflections/{id}", s.getReflection)
}

type (
	reflectionRequest struct {
		Text string `json:"text"`
	}
	studyTaskDetail struct {
		study.Task
		Mine       *study.Reflection `json:"mine"`
		Completion study.Completion  `json:"completion"`
	}
)

func (s *server) listStudyTasks(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, total, err := s.Study.List(r.Context(), p, study.Filter{Unit: q.Get("unit"), Mine: q.Get("mine") == "1" || q.Get("mine") == "true",
		Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	writeList(w, items, total, pg)
	return nil
}

func (s *server) createStudyTask(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[study.TaskInput](w, r)
	if err != nil {
		return err
	}
	t, err := s.Study.Create(r.Context(), p, in, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/study/tasks/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *server) getStudyTask(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.Study.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	d := studyTaskDetail{Task: t}
	if d.Mine, err = s.Study.Mine(r.Context(), p, id); err != nil {
		return err
	}
	if d.Completion, err = s.Study.Completion(r.Context(), p, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *server) submitReflection(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[reflectionRequest](w, r)
	if err != nil {
		return err
	}
	ref, err := s.Study.Submit(r.Context(), p, id, in.Text)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/study/reflections/"+strconv.FormatInt(ref.ID, 10))
	writeJSON(w, http.StatusCreated, ref)
	return nil
}

func (s *server) getReflection(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ref, err := s.Study.Reflection(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ref)
	return nil
}

// studyDoc adds 学习教育 to the OpenAPI document.
func studyDoc(paths, schemas obj) {
	id := func(what string) obj {
		return obj{"name": "id", "in": "path", "required": true, "description": what + " id",
			"schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	}
	roles := make([]string, len(study.AudienceRoles))
	for i, r := range study.AudienceRoles {
		roles[i] = string(r)
	}
	paths["/api/v1/study/tasks"] = obj{
		"get": op("listStudyTasks", "study", "Study tasks the principal must submit for, or whose issuing unit they may read; latest due first",
			cat(pageParams, []any{query("unit", "a unit code: tasks issued in its subtree", obj{"type": "string"}),
				query("mine", "1: only the tasks the principal must submit for", obj{"type": "string", "enum": []any{"1", "0"}})}), nil,
			obj{"200": ok("a page of tasks", "StudyTaskList")}, "400"),
		"post": op("createStudyTask", "study", "Issue a study task to a unit's subtree (leaders and deputies of the unit, or its admins); "+
			"the audience is fixed now: the active people of the subtree holding one of `roles` (everyone when empty)",
			nil, jsonBody("StudyTaskCreate"), obj{"201": created("the task", "StudyTask", true)}, "400", "415"),
	}
	paths["/api/v1/study/tasks/{id}"] = obj{"parameters": []any{id("task")},
		"get": op("getStudyTask", "study", "A task with the principal's current reflection and the completion by unit and by rank "+
			"(leader, deputy, officer); `members` lists only the people whose unit the principal may review",
			nil, nil, obj{"200": ok("the task", "StudyTaskDetail")}, "404")}
	paths["/api/v1/study/tasks/{id}/reflections"] = obj{"parameters": []any{id("task")},
		"post": op("submitReflection", "study", "Submit (or resubmit) the principal's reflection (心得体会). It is compared with every other "+
			"reflection and the reference corpus: `similarity` is the share of the text found elsewhere (0–1), `matches` the sources "+
			"with their shared passages. At or above the threshold setting it is flagged for a reviewer, never refused. "+
			"After the due date it is accepted and marked late.",
			nil, jsonBody("ReflectionCreate"), obj{"201": created("the reflection with its check", "Reflection", true)}, "400", "403", "404", "415")}
	paths["/api/v1/study/reflections/{id}"] = obj{"parameters": []any{id("reflection")},
		"get": op("getReflection", "study", "A reflection: its author, or reviewers who may read the ledger of the author's unit",
			nil, nil, obj{"200": ok("the reflection", "Reflection")}, "404")}

	file := obj{"type": "object", "properties": obj{"id": integer("attachment"), "sha256": str("hash"), "name": str("file name"),
		"mime": str("type"), "size": integer("bytes"), "created_at": integer("unix ms")}}
	taskProps := obj{"id": integer("id"), "number": str("XX-YYYY-NNNNNN"), "title": str("title"), "material": str("study material"),
		"unit_code": str("issuing unit (the audience is its subtree)"), "unit_name": str("unit name"),
		"roles":      obj{"type": "array", "items": strEnum("role", roles...), "description": "the audience's roles; empty: everyone"},
		"min_length": integer("least characters of a reflection, punctuation and spaces not counted"),
		"due":        str("due day (China time)"), "due_at": integer("unix ms: the first instant after the due day"),
		"created_by": str("name"), "created_at": integer("unix ms"), "files": obj{"type": "array", "items": file},
		"assigned": integer("people who must submit"), "submitted": integer("people who submitted"),
		"assignee": boolean("the principal must submit")}
	schemas["StudyTask"] = obj{"type": "object", "properties": taskProps}
	schemas["StudyTaskList"] = listOf("StudyTask")
	cell := obj{"type": "object", "properties": obj{"assigned": integer("must submit"), "on_time": integer("submitted by the due date"),
		"late": integer("submitted after it"), "flagged": integer("current reflection flagged and not cleared")}}
	row := obj{"type": "object", "properties": obj{"unit_code": str("unit"), "unit_name": str("unit name"), "total": cell,
		"by_rank": obj{"type": "object", "additionalProperties": cell, "description": "keys leader, deputy, officer"}}}
	member := obj{"type": "object", "properties": obj{"username": str("username"), "name": str("name"), "unit_name": str("unit"),
		"rank": strEnum("rank", study.Ranks...), "reflection_id": integer("current reflection"), "late": boolean("late"),
		"similarity": obj{"type": "number"}, "flagged": boolean("flagged"), "review": str("'' | copy | original"),
		"submitted_at": integer("unix ms")}}
	detail := obj{}
	for k, v := range taskProps {
		detail[k] = v
	}
	detail["mine"] = obj{"oneOf": []any{schemaRef("Reflection"), obj{"type": "null"}}}
	detail["completion"] = obj{"type": "object", "properties": obj{"units": obj{"type": "array", "items": row,
		"description": "the issuing unit's own people, then each unit directly below it with its subtree"},
		"total": row, "members": obj{"type": "array", "items": member}}}
	schemas["StudyTaskDetail"] = obj{"type": "object", "properties": detail}
	schemas["StudyTaskCreate"] = object([]string{"title", "unit_code", "due"}, obj{"title": obj{"type": "string", "maxLength": 200},
		"material": obj{"type": "string", "maxLength": 50000}, "unit_code": str("issuing unit"),
		"roles": obj{"type": "array", "items": strEnum("role", roles...)}, "due": str("day, 2026-12-01"),
		"min_length": obj{"type": "integer", "minimum": 0, "maximum": 10000, "description": "0: the deployment's default"}})
	schemas["ReflectionCreate"] = object([]string{"text"}, obj{"text": obj{"type": "string", "maxLength": 20000}})
	span := obj{"type": "object", "properties": obj{"start": integer("first character in the reflection (Unicode code points, from 0)"),
		"end": integer("after the last one"), "source_start": integer("first character in the source"),
		"source_end": integer("after the last one")}}
	match := obj{"type": "object", "properties": obj{
		"source": str("reflection:ID, reference:ID, reference:seed-NNN (built-in) or material:TASK"),
		"kind":   strEnum("kind of source", study.SourceReflection, study.SourceReference, study.SourceMaterial),
		"title":  str("the source's title"), "score": obj{"type": "number", "minimum": 0, "maximum": 1,
			"description": "share of the reflection found in this source"},
		"spans": obj{"type": "array", "items": span, "description": "the shared passages, in the reflection's order"}}}
	schemas["Reflection"] = obj{"type": "object", "properties": obj{"id": integer("id"), "task_id": integer("task"),
		"task_number": str("task number"), "task_title": str("task title"), "author": str("username"), "author_name": str("name"),
		"unit_name": str("author's unit"), "text": str("the reflection"), "chars": integer("counted characters"),
		"late":       boolean("submitted after the due date"),
		"similarity": obj{"type": "number", "minimum": 0, "maximum": 1, "description": "share of the text found in any source"},
		"flagged":    boolean("similarity at or above the threshold"), "matches": obj{"type": "array", "items": match},
		"superseded": boolean("a later version exists"), "review": str("'' | copy (confirmed) | original (flag cleared)"),
		"review_note": str("the reviewer's reason"), "reviewed_by": str("name"), "reviewed_at": integer("unix ms"),
		"submitted_at": integer("unix ms")}}
}
