package api

import (
	"net/http"
	"strconv"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/rating"
)

// 好差评. The public endpoint rates a concluded report with its receipt and
// key (the look-up's lock on repeated failures applies); the staff endpoints
// list, record on paper or phone, visit and appeal, within the ledger scopes.

func (s *server) registerRatings(authed func(string, handlerFunc), public func(string, http.HandlerFunc)) {
	public("POST "+Prefix+"/public/ratings", func(w http.ResponseWriter, r *http.Request) {
		if err := s.publicRate(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
	authed("GET "+Prefix+"/ratings", s.listRatings)
	authed("POST "+Prefix+"/ratings", s.recordRating)
	authed("GET "+Prefix+"/ratings/metrics", s.ratingMetrics)
	authed("GET "+Prefix+"/ratings/{id}", s.getRating)
	authed("POST "+Prefix+"/ratings/{id}/visit", s.visitRating)
	authed("POST "+Prefix+"/ratings/{id}/appeal", s.appealRating)
	authed("POST "+Prefix+"/ratings/{id}/appeal/decision", s.decideRatingAppeal)
}

type (
	publicRatingRequest struct {
		Target     string            `json:"target"`
		Receipt    string            `json:"receipt"`
		Key        string            `json:"key"`
		Project    int64             `json:"project"`
		Token      string            `json:"token"`
		Level      int               `json:"level"`
		Comment    string            `json:"comment"`
		Dimensions rating.Dimensions `json:"dimensions"`
	}
	recordRatingRequest struct {
		Receipt    string            `json:"receipt"`
		Channel    string            `json:"channel"`
		Level      int               `json:"level"`
		Comment    string            `json:"comment"`
		Dimensions rating.Dimensions `json:"dimensions"`
	}
	appealRequest struct {
		Reason string `json:"reason"`
	}
	appealDecision struct {
		Decision string `json:"decision"`
		Note     string `json:"note"`
	}
	publicRatingBody struct {
		Number     string `json:"number"`
		Level      int    `json:"level"`
		Changes    int    `json:"changes"`
		ChangeTill int64  `json:"changeable_until"`
	}
)

func (s *server) publicRate(w http.ResponseWriter, r *http.Request) error {
	in, err := readJSON[publicRatingRequest](w, r)
	if err != nil {
		return err
	}
	if in.Target != rating.TargetReport && in.Target != rating.TargetProject {
		return apperr.Invalidf("target", "err.rating.target")
	}
	// checked before the look-up, so a bad level costs no key hashing
	ri := rating.Input{Level: in.Level, Comment: in.Comment, Dimensions: in.Dimensions}
	if err := ri.Validate(); err != nil {
		return err
	}
	if in.Target == rating.TargetProject {
		pr, err := s.Projects.PublicGet(r.Context(), in.Project)
		if err != nil {
			return err
		}
		g, err := s.Ratings.RateProject(r.Context(), pr.RatingRef(), in.Token, clientAddr(r), ri)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, publicRatingBody{Number: g.Number, Level: g.Level})
		return nil
	}
	v, err := s.Reports.Lookup(r.Context(), in.Receipt, in.Key)
	if err != nil {
		return err
	}
	g, err := s.Ratings.RateReport(r.Context(), v.Ref(), ri)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, publicRatingBody{Number: g.Number, Level: g.Level, Changes: g.Changes,
		ChangeTill: g.FirstAt + rating.ChangeWindow.Milliseconds()})
	return nil
}

func (s *server) listRatings(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	f, err := rating.ParseFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.Page, f.PerPage = pg.Page, pg.PerPage
	items, total, err := s.Ratings.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeList(w, items, total, pg)
	return nil
}

func (s *server) ratingMetrics(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	f, err := rating.ParseFilter(r.URL.Query())
	if err != nil {
		return err
	}
	m, err := s.Ratings.Metrics(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *server) getRating(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	g, err := s.Ratings.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *server) recordRating(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[recordRatingRequest](w, r)
	if err != nil {
		return err
	}
	g, err := s.Ratings.Record(r.Context(), p, in.Receipt, in.Channel,
		rating.Input{Level: in.Level, Comment: in.Comment, Dimensions: in.Dimensions})
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/ratings/"+strconv.FormatInt(g.ID, 10))
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (s *server) visitRating(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[rating.Visit](w, r)
	if err != nil {
		return err
	}
	g, err := s.Ratings.RecordVisit(r.Context(), p, id, rating.Visit{Contact: in.Contact, Said: in.Said, Reply: in.Reply})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *server) appealRating(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[appealRequest](w, r)
	if err != nil {
		return err
	}
	g, err := s.Ratings.RequestAppeal(r.Context(), p, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *server) decideRatingAppeal(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readJSON[appealDecision](w, r)
	if err != nil {
		return err
	}
	if in.Decision != "uphold" && in.Decision != "reject" {
		return apperr.Invalidf("decision", "err.rating.decision")
	}
	g, err := s.Ratings.DecideAppeal(r.Context(), p, id, in.Decision == "uphold", in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// ratingsDoc adds 好差评 to the OpenAPI document.
func ratingsDoc(paths, schemas obj) {
	id := obj{"name": "id", "in": "path", "required": true, "description": "rating id",
		"schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	writes := []string{"400", "403", "404", "409", "415"}
	level := obj{"type": "integer", "minimum": 1, "maximum": 5, "description": "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意; 1–2 are 差评"}
	dim := obj{"type": "integer", "minimum": 1, "maximum": 5}
	dims := object(nil, obj{"efficiency": dim, "attitude": dim, "result": dim})
	comment := obj{"type": "string", "maxLength": rating.MaxComment}
	filters := []any{
		query("unit", "a unit code: its subtree", obj{"type": "string"}),
		query("from", "first day (rated on or after)", obj{"type": "string", "format": "date"}),
		query("to", "last day (rated on or before)", obj{"type": "string", "format": "date"}),
	}
	pub := op("rate", "public", "Rate a concluded report with its receipt and key, or a public project with a rating token (no account). "+
		"One rating per receipt: a second one within 7 days of the first replaces it, later it is refused (409); one per token; "+
		"a few per address and project a day (429). A 差评 opens a ledger item at once.",
		nil, jsonBody("PublicRating"), obj{"201": created("the rating", "PublicRatingResult", false)}, "400", "404", "409", "415", "429")
	pub["security"] = []any{}
	delete(pub["responses"].(obj), "401")
	paths["/api/v1/public/ratings"] = obj{"post": pub}
	paths["/api/v1/ratings"] = obj{
		"get": op("listRatings", "ratings", "Ratings of the units whose ledger the principal reads, newest first",
			cat(pageParams, filters, []any{
				query("level", "only this level", obj{"type": "integer", "minimum": 1, "maximum": 5}),
				query("bad", "only 差评 (levels 1–2)", obj{"type": "boolean"}),
				query("no_visit", "only 差评 still without a 回访", obj{"type": "boolean"}),
			}), nil, obj{"200": ok("a page of ratings", "RatingList")}, "400"),
		"post": op("recordRating", "ratings", "Record a rating its reporter gave on paper or by phone (ledger write permission on the report's unit)",
			nil, jsonBody("RatingRecord"), obj{"201": created("the rating", "Rating", true)}, writes...),
	}
	paths["/api/v1/ratings/metrics"] = obj{"get": op("ratingMetrics", "ratings",
		"满意率, 差评整改率, 回访率 and average level of a unit subtree and period, each with its counts (appeal-upheld ratings excluded)",
		filters, nil, obj{"200": ok("the figures", "RatingMetrics")}, "400")}
	paths["/api/v1/ratings/{id}"] = obj{"parameters": []any{id},
		"get": op("getRating", "ratings", "One rating", nil, nil, obj{"200": ok("the rating", "Rating")}, "404")}
	paths["/api/v1/ratings/{id}/visit"] = obj{"parameters": []any{id},
		"post": op("visitRating", "ratings", "Record the 回访 of a 差评 (its ledger item closes only after it)", nil,
			jsonBody("RatingVisit"), obj{"200": ok("the rating", "Rating")}, writes...)}
	paths["/api/v1/ratings/{id}/appeal"] = obj{"parameters": []any{id},
		"post": op("appealRating", "ratings", "Appeal (申诉) a malicious or mistaken rating", nil,
			jsonBody("RatingAppeal"), obj{"200": ok("the rating", "Rating")}, writes...)}
	paths["/api/v1/ratings/{id}/appeal/decision"] = obj{"parameters": []any{id},
		"post": op("decideRatingAppeal", "ratings", "Decide an appeal (inspectors; not the one who appealed). Upheld, the rating leaves the figures but is kept.",
			nil, jsonBody("RatingAppealDecision"), obj{"200": ok("the rating", "Rating")}, writes...)}

	schemas["PublicRating"] = object([]string{"target", "level"}, obj{
		"target": strEnum("what is rated", rating.TargetReport, rating.TargetProject), "receipt": str("report: its receipt"),
		"key": str("report: its secret key"), "project": integer("project: its id"),
		"token": str("project: the rating_token from GET /api/v1/public/projects (one rating each)"),
		"level": level, "comment": comment, "dimensions": dims})
	schemas["PublicRatingResult"] = object([]string{"number", "level"}, obj{"number": str("PJ-YYYY-NNNNNN"), "level": level,
		"changes": integer("times changed"), "changeable_until": integer("unix ms; a change after it is refused")})
	schemas["RatingRecord"] = object([]string{"receipt", "channel", "level"}, obj{
		"receipt": str("the report's receipt"), "channel": strEnum("how it was given", rating.StaffChannels...),
		"level": level, "comment": comment, "dimensions": dims})
	schemas["RatingVisit"] = object([]string{"contact", "said", "reply"}, obj{"contact": str("how and when the rater was reached"),
		"said": str("what the rater said"), "reply": str("the reply given to the rater")})
	schemas["RatingAppeal"] = object([]string{"reason"}, obj{"reason": str("why the rating is malicious or mistaken")})
	schemas["RatingAppealDecision"] = object([]string{"decision", "note"}, obj{"decision": strEnum("decision", "uphold", "reject"),
		"note": str("reasons")})
	schemas["Rating"] = obj{"type": "object", "properties": obj{
		"id": integer("id"), "number": str("PJ-YYYY-NNNNNN"), "target_type": str("report"), "target_ref": str("the report's staff number"),
		"unit_code": str("unit rated"), "unit_name": str("unit name"), "channel": strEnum("channel", rating.Online, rating.Paper, rating.Phone),
		"level": level, "bad": boolean("差评"), "dimensions": dims, "comment": str("comment"), "real_name": boolean("real-name rater"),
		"problem_id": integer("the ledger item a 差评 opened"), "problem_number": str("its number"),
		"recorded_by": str("staff who recorded it"), "first_at": integer("unix ms of the first rating"), "changes": integer("times changed"),
		"visit":    obj{"type": "object", "properties": obj{"contact": str("contact"), "said": str("said"), "reply": str("reply"), "at": integer("unix ms"), "by": str("name")}},
		"appeal":   obj{"type": "object", "properties": obj{"status": strEnum("status", rating.AppealPending, rating.AppealUpheld, rating.AppealRejected), "reason": str("reason"), "by": str("name"), "at": integer("unix ms"), "decided_by": str("name"), "decided_at": integer("unix ms"), "note": str("note")}},
		"excluded": boolean("excluded from the figures by an upheld appeal"), "created_at": integer("unix ms"), "updated_at": integer("unix ms"),
	}}
	schemas["RatingList"] = listOf("Rating")
	share := obj{"type": "object", "properties": obj{"numerator": integer("count"), "denominator": integer("count"), "rate": obj{"type": "number"}}}
	schemas["RatingMetrics"] = obj{"type": "object", "properties": obj{
		"counted": integer("ratings counted"), "excluded": integer("excluded by upheld appeals"),
		"levels":       obj{"type": "array", "items": obj{"type": "integer"}, "description": "count by level at index 1..5"},
		"satisfaction": share, "rectification": share, "visit": share, "real_name_visit": share,
		"real_name_gap": integer("real-name 差评 without 回访 (must be 0)"), "average": obj{"type": "number"},
	}}
}
