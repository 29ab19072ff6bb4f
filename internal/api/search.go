package api

import (
	"net/http"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"strconv"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/text"
)

// Search and the text features of issue 7 (internal/search, internal/text).

func (s *server) registerSearch(authed func(string, handlerFunc)) {
	authed("GET "+Prefix+"/search", s.search)
	authed("GET "+Prefix+"/hot-issues", s.hotIssues)
	authed("GET "+Prefix+"/clues/{id}/routing", s.clueRouting)
	authed("POST "+Prefix+"/routing/train", s.trainRouting)
	authed("POST "+Prefix+"/clues/{id}/reply-check", s.clueReplyCheck)
}

type replyCheckRequest struct {
	Reply string `json:"reply"`
}

// replyCheckBody is the 答复质量 hints with whether any is set.
type replyCheckBody struct {
	text.ReplyHints
	Flagged bool `json:"flagged"`
}

// clueReplyCheck: the 答复质量 hints on a draft reply to a lead's reporter;
// nothing is sent.
func (s *server) clueReplyCheck(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[replyCheckRequest](w, r)
	if err != nil {
		return err
	}
	h, err := s.Search.ReplyCheck(r.Context(), p, id, in.Reply)
	if err != nil {
		return err
	}
	if h.KeyTerms == nil {
		h.KeyTerms = []string{}
	}
	if h.Missing == nil {
		h.Missing = []string{}
	}
	writeJSON(w, http.StatusOK, replyCheckBody{ReplyHints: h, Flagged: h.Flagged()})
	return nil
}

func (s *server) clueRouting(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sg, err := s.Search.Routing(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sg)
	return nil
}

// trainRouting retrains the routing models now (they are retrained nightly
// too): administrators and discipline staff, audited.
func (s *server) trainRouting(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	if !org.CanAnywhere(p, org.AdminWrite) && !org.CanAnywhere(p, org.ClueHandle) {
		return apperr.New(apperr.Forbidden, "forbidden", "", "err.search.train_forbidden")
	}
	res, err := s.Search.Train(r.Context())
	if err != nil {
		return err
	}
	if err := audit.Record(r.Context(), s.DB, audit.Event{Actor: p.Actor(), Action: "routing.train", ObjectType: "text_model",
		Detail: map[string]any{"docs": res.Docs, "categories": res.Categories, "units": res.Units}}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *server) hotIssues(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	q := r.URL.Query()
	res, err := s.Search.HotIssues(r.Context(), p, search.HotParams{Unit: q.Get("unit"), From: q.Get("from"), To: q.Get("to")}, time.Now())
	if err != nil {
		return err
	}
	if res.Issues == nil {
		res.Issues = []search.HotIssue{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *server) search(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	res, err := s.Search.Search(r.Context(), p, search.Params{Q: q.Get("q"), Type: q.Get("type"), Unit: q.Get("unit"), Limit: limit})
	if err != nil {
		return err
	}
	if res.Hits == nil {
		res.Hits = []search.Hit{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func searchDoc(paths, schemas obj) {
	paths["/api/v1/search"] = obj{"get": op("search", "search",
		"Search ledger items, reports/leads, projects and ratings the principal may read, by words, phrases, numbers or names "+
			"(two-character Chinese terms such as 拆迁 work; \"…\" groups a phrase). Most recently changed first. "+
			"Reports are searched by keyed hashes of their sealed text and opened only to check and show hits (audited).",
		[]any{
			query("q", "the query: terms separated by spaces, all must match; a term of several characters is a phrase", obj{"type": "string", "maxLength": search.MaxQuery}),
			query("type", "only this kind", obj{"type": "string", "enum": search.Kinds}),
			query("unit", "a unit code: only items in its subtree", obj{"type": "string"}),
			query("limit", "hits wanted (default 20)", obj{"type": "integer", "minimum": 1, "maximum": search.MaxLimit}),
		}, nil, obj{"200": ok("the hits", "SearchResult")}, "400")}
	schemas["SearchHit"] = object([]string{"type", "id", "number", "title", "snippet", "marks", "unit", "updated_at"}, obj{
		"type":       obj{"type": "string", "enum": search.Kinds},
		"id":         integer("the item's id (its page: /problems/{id}, /clues/{id}, /staff/projects/{id}, /ratings/{id})"),
		"number":     str("the item's number"),
		"title":      str("title (a report's subject; a rating's rated item)"),
		"snippet":    str("about 120 characters of the text around the first match"),
		"marks":      obj{"type": "array", "description": "highlighted [start, end) character offsets in snippet", "items": obj{"type": "array", "items": obj{"type": "integer"}, "minItems": 2, "maxItems": 2}},
		"unit":       str("the item's unit (a report's handling unit)"),
		"updated_at": integer("last change, unix ms"),
	})
	paths["/api/v1/hot-issues"] = obj{"get": op("hotIssues", "search",
		"热点问题: the reports/leads the principal may read (clue.read, recusal applied), received in the period, grouped into "+
			"same-matter clusters of two or more, most supported first. The reports are opened to compare their text (audited).",
		[]any{
			query("unit", "a unit code: reports handled in its subtree", obj{"type": "string"}),
			query("from", "first received day (default 89 days before to)", obj{"type": "string", "format": "date"}),
			query("to", "last received day (default today)", obj{"type": "string", "format": "date"}),
		}, nil, obj{"200": ok("the clusters", "HotIssues")}, "400")}
	schemas["HotIssue"] = object([]string{"title", "count", "support", "first_at", "last_at", "units", "reports"}, obj{
		"title":    str("the subject of the report most similar to the others"),
		"count":    integer("reports in the cluster"),
		"support":  integer("reporters: the reports plus those already merged into them"),
		"first_at": integer("first report, unix ms"),
		"last_at":  integer("last report, unix ms"),
		"units":    obj{"type": "array", "items": obj{"type": "string"}, "description": "units reported on, by name"},
		"reports": obj{"type": "array", "items": object([]string{"id", "number"}, obj{
			"id": integer("report id (/clues/{id})"), "number": str("report number")})},
	})
	schemas["HotIssues"] = object([]string{"from", "to", "reports", "capped", "issues"}, obj{
		"from":    obj{"type": "string", "format": "date"},
		"to":      obj{"type": "string", "format": "date"},
		"reports": integer("reports grouped"),
		"capped":  boolean("more reports than the window in the period: the newest 3000 were grouped"),
		"issues":  obj{"type": "array", "items": schemaRef("HotIssue")},
	})
	paths["/api/v1/clues/{id}/routing"] = obj{"parameters": []any{obj{"name": "id", "in": "path", "required": true,
		"description": "report id", "schema": obj{"type": "integer", "format": "int64", "minimum": 1}}},
		"get": op("clueRouting", "search", "智能分办: the suggested category and handling unit of a lead the principal may handle, "+
			"from classifiers trained on this deployment's own assigned leads; a part below the configured confidence is left out",
			nil, nil, obj{"200": ok("the suggestion", "RoutingSuggestion")}, "404")}
	paths["/api/v1/routing/train"] = obj{"post": op("trainRouting", "search",
		"Retrain the routing models now from every assigned lead (administrators and discipline staff; also done nightly)",
		nil, nil, obj{"200": ok("what was trained", "RoutingTraining")}, "403")}
	schemas["RoutingSuggestion"] = object([]string{"threshold", "trained_on"}, obj{
		"category":            str("suggested category (a report category code)"),
		"category_confidence": obj{"type": "number", "description": "0–1; not a calibrated probability"},
		"unit_code":           str("suggested handling unit (one the principal may assign to)"),
		"unit_name":           str("its name"),
		"unit_confidence":     obj{"type": "number", "description": "0–1; not a calibrated probability"},
		"threshold":           obj{"type": "number", "description": "the confidence below which nothing is suggested"},
		"trained_on":          integer("leads the unit model learned from; 0 when there is no model yet"),
		"trained_at":          integer("when it was trained, unix ms"),
	})
	paths["/api/v1/clues/{id}/reply-check"] = obj{"parameters": []any{obj{"name": "id", "in": "path", "required": true,
		"description": "report id", "schema": obj{"type": "integer", "format": "int64", "minimum": 1}}},
		"post": op("clueReplyCheck", "search", "答复质量: hints on a draft reply to the reporter of a lead the principal may handle "+
			"(does it take up the report's key terms, is it boilerplate, does it give a basis and a way to follow up); "+
			"advice only, nothing is sent or stored",
			nil, jsonBody("ReplyCheckRequest"), obj{"200": ok("the hints", "ReplyHints")}, "400", "404")}
	schemas["ReplyCheckRequest"] = object([]string{"reply"}, obj{"reply": obj{"type": "string", "maxLength": report.MaxMessage,
		"description": "the draft reply"}})
	schemas["ReplyHints"] = object([]string{"flagged", "off_topic", "coverage", "key_terms", "missing", "boilerplate", "copies",
		"substance", "no_basis", "no_follow_up"}, obj{
		"flagged":      boolean("any hint is set"),
		"off_topic":    boolean("few of the report's key terms appear in the reply"),
		"coverage":     obj{"type": "number", "description": "share of the key terms found (0–1)"},
		"key_terms":    obj{"type": "array", "items": obj{"type": "string"}, "description": "the report's key terms looked for"},
		"missing":      obj{"type": "array", "items": obj{"type": "string"}, "description": "those not found"},
		"boilerplate":  boolean("nearly the same as 3 or more replies already sent, or little left once courtesies are removed"),
		"copies":       integer("replies already sent in this deployment that are nearly the same"),
		"substance":    integer("Han characters left once courtesies and long quotations are removed"),
		"no_basis":     boolean("no law, regulation or document cited and no date or figure"),
		"no_follow_up": boolean("no phone number, office or next step"),
	})
	schemas["RoutingTraining"] = object([]string{"docs", "categories", "units"}, obj{
		"docs":       integer("assigned leads read"),
		"categories": integer("categories learned (0: too few leads, no model)"),
		"units":      integer("units learned (0: too few leads, no model)"),
	})
	schemas["SearchResult"] = object([]string{"hits", "more"}, obj{
		"hits":           obj{"type": "array", "items": schemaRef("SearchHit")},
		"more":           boolean("there are more hits than limit"),
		"sealed_skipped": boolean("only one-character terms: report text (searchable only by two or more characters) was not searched"),
	})
}
