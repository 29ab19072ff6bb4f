package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"

	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// The OpenAPI 3.1 document is written as Go data next to the handlers it
// describes; a test checks that its paths and methods are exactly the routes.

type obj = map[string]any

var openapiJSON = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(openapiDoc(), "", "  ")
	if err != nil {
		panic(err) // static data: cannot happen
	}
	return b
})

func (s *server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openapiJSON())
}

func schemaRef(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func str(desc string) obj { return obj{"type": "string", "description": desc} }

func nullable(typ, desc string) obj { return obj{"type": []string{typ, "null"}, "description": desc} }

func integer(desc string) obj { return obj{"type": "integer", "format": "int64", "description": desc} }

func boolean(desc string) obj { return obj{"type": "boolean", "description": desc} }

func object(required []string, props obj) obj {
	o := obj{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func listOf(item string) obj {
	return object([]string{"items", "total", "page", "per_page"}, obj{
		"items":    obj{"type": "array", "items": schemaRef(item)},
		"total":    integer("number of matching items, over all pages"),
		"page":     integer("this page, from 1"),
		"per_page": integer("page size"),
	})
}

func jsonBody(schema string) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schemaRef(schema)}}}
}

func ok(desc, schema string) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": schemaRef(schema)}}}
}

func created(desc, schema string, location bool) obj {
	r := ok(desc, schema)
	if location {
		r["headers"] = obj{"Location": obj{"description": "URL of the new resource", "schema": obj{"type": "string"}}}
	}
	return r
}

func query(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "string"}}
}

var pageParams = []any{
	query("page", "page number, from 1", obj{"type": "integer", "minimum": 1, "default": 1}),
	query("per_page", "page size, at most 500", obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
}

// errs adds the standard error answers for the given statuses.
func errs(r obj, statuses ...string) obj {
	for _, s := range statuses {
		r[s] = obj{"$ref": "#/components/responses/E" + s}
	}
	return r
}

// op builds an operation. Every operation needs a token unless it says otherwise,
// so 401 and the server-side failures are always listed.
func op(id, tag, summary string, params []any, body obj, responses obj, statuses ...string) obj {
	o := obj{"operationId": id, "tags": []string{tag}, "summary": summary,
		"responses": errs(responses, append([]string{"401", "500", "503"}, statuses...)...)}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if body != nil {
		o["requestBody"] = body
	}
	return o
}

func cat(lists ...[]any) []any {
	var out []any
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func openapiDoc() obj {
	unitCode := pathParam("code", "unit code")
	username := pathParam("username", "username")
	errorStatuses := obj{
		"400": "invalid input: a field, a parameter or a malformed JSON body",
		"401": "no or an invalid token / session",
		"403": "the principal may not do this",
		"404": "not found, or outside the principal's scope",
		"405": "method not allowed",
		"409": "conflict: duplicate code or username, or the record's state forbids it",
		"413": "the body is too large",
		"415": "wrong Content-Type",
		"429": "too many attempts",
		"500": "internal error (details are only in the server log)",
		"503": "the database cannot be reached; nothing was changed",
	}
	responses := obj{}
	for code, desc := range errorStatuses {
		responses["E"+code] = obj{"description": desc,
			"content": obj{"application/json": obj{"schema": schemaRef("Error")}}}
	}

	paths := obj{
		"/api/v1/openapi.json": obj{"get": obj{"operationId": "openapi", "tags": []string{"meta"},
			"summary": "This document", "security": []any{},
			"responses": obj{"200": obj{"description": "the OpenAPI 3.1 document",
				"content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}}},
		"/api/v1/me": obj{"get": op("getMe", "me", "The signed-in principal", nil, nil,
			obj{"200": ok("the principal", "Me")})},

		"/api/v1/units": obj{
			"get": op("listUnits", "units", "List the units in the principal's read scope", cat(pageParams, []any{
				query("parent_code", "only direct children of this unit", obj{"type": "string"}),
				query("under", "only the subtree of this unit (itself included)", obj{"type": "string"}),
				query("q", "name or code contains", obj{"type": "string"}),
				query("include_closed", "also list closed units", obj{"type": "boolean", "default": false}),
			}), nil, obj{"200": ok("a page of units", "UnitList")}, "400", "404"),
			"post": op("createUnit", "units", "Create a unit below parent_code", nil, jsonBody("UnitCreate"),
				obj{"201": created("the new unit", "Unit", true)}, "400", "403", "409", "413", "415"),
		},
		"/api/v1/units/import": obj{
			"post": op("importUnits", "units", "Create every unit of an .xlsx sheet, or none", nil,
				obj{"required": true, "description": "The first sheet: a header row (单位编码, 单位名称, 上级单位编码, 单位类型 or code, name, parent_code, kind), then one unit per row.",
					"content": obj{
						xlsxType: obj{"schema": obj{"type": "string", "contentMediaType": xlsxType}},
						"multipart/form-data": obj{"schema": object([]string{"file"}, obj{
							"file": obj{"type": "string", "contentMediaType": xlsxType}})},
					}},
				obj{"200": ok("every row was created", "ImportResult"),
					"422": ok("some rows are wrong; nothing was created", "ImportError")},
				"400", "413", "415"),
		},
		"/api/v1/units/{code}": obj{
			"parameters": []any{unitCode},
			"get":        op("getUnit", "units", "One unit", nil, nil, obj{"200": ok("the unit", "Unit")}, "404"),
			"patch": op("patchUnit", "units", "Rename (name) and/or move (parent_code) a unit with its subtree", nil,
				jsonBody("UnitPatch"), obj{"200": ok("the unit after the change", "Unit")},
				"400", "403", "404", "409", "413", "415"),
		},
		"/api/v1/units/{code}/close": obj{
			"parameters": []any{unitCode},
			"post": op("closeUnit", "units", "Close (撤销) a unit that has no open sub-units and no active people", nil, nil,
				obj{"200": ok("the closed unit", "Unit")}, "403", "404", "409"),
		},

		"/api/v1/users": obj{
			"get": op("listUsers", "users", "List the people in the principal's read scope", cat(pageParams, []any{
				query("unit_code", "only people in this unit's subtree", obj{"type": "string"}),
				query("role", "only people holding this role", obj{"type": "string", "enum": roleNames()}),
				query("q", "username or name contains", obj{"type": "string"}),
			}), nil, obj{"200": ok("a page of people", "UserList")}, "400", "404"),
			"post": op("createUser", "users", "Create a person with an account", nil, jsonBody("UserCreate"),
				obj{"201": created("the new person", "User", true)}, "400", "403", "409", "413", "415"),
		},
		"/api/v1/users/{username}": obj{
			"parameters": []any{username},
			"get":        op("getUser", "users", "One person", nil, nil, obj{"200": ok("the person", "User")}, "404"),
			"patch": op("patchUser", "users", "Change name, unit, roles or the disabled flag", nil, jsonBody("UserPatch"),
				obj{"200": ok("the person after the change", "User")}, "400", "403", "404", "409", "413", "415"),
		},
		"/api/v1/users/{username}/reset-password": obj{
			"parameters": []any{username},
			"post": op("resetPassword", "users", "Set a new password (to be changed at next sign-in); ends the person's sessions", nil,
				jsonBody("PasswordReset"), obj{"204": obj{"description": "done"}}, "400", "403", "404", "413", "415"),
		},

		"/api/v1/audit": obj{
			"get": op("listAudit", "audit", "Browse the audit trail (newest first), within the principal's audit.read scope", []any{
				query("actor", "username of the actor, exact", obj{"type": "string"}),
				query("action", "action prefix, e.g. unit. or user.create", obj{"type": "string"}),
				query("object_type", "e.g. unit, user, token", obj{"type": "string"}),
				query("object_id", "e.g. a unit code or a username", obj{"type": "string"}),
				query("from", "entries at or after this time (RFC 3339)", obj{"type": "string", "format": "date-time"}),
				query("to", "entries at or before this time (RFC 3339)", obj{"type": "string", "format": "date-time"}),
				query("before", "keyset cursor: entries with seq below this (next_before of the previous page)", obj{"type": "integer", "minimum": 1}),
				query("limit", "page size, at most 500", obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
			}, nil, obj{"200": ok("a page of entries", "AuditList")}, "400", "403"),
		},

		"/api/v1/tokens": obj{
			"get": op("listTokens", "tokens", "List the principal's own API tokens", pageParams, nil,
				obj{"200": ok("a page of tokens", "TokenList")}, "400"),
			"post": op("createToken", "tokens", "Create an API token for oneself; the secret is returned once", nil,
				jsonBody("TokenCreate"), obj{"201": created("the token with its secret", "TokenCreated", false)},
				"400", "413", "415"),
		},
		"/api/v1/tokens/{id}": obj{
			"parameters": []any{obj{"name": "id", "in": "path", "required": true, "description": "token id",
				"schema": obj{"type": "integer", "format": "int64"}}},
			"delete": op("revokeToken", "tokens", "Revoke one of the principal's tokens", nil, nil,
				obj{"204": obj{"description": "revoked"}}, "404"),
		},
	}

	role := object([]string{"role"}, obj{
		"role":       obj{"type": "string", "enum": roleNames()},
		"scope_code": str("unit code of the subtree the role covers; empty = the person's own unit (only inspector, discipline and admin may be wider)"),
	})
	schemas := obj{
		"Error": object([]string{"error"}, obj{"error": object([]string{"code", "message"}, obj{
			"code":    str("stable machine code, e.g. invalid, not_found, duplicate_code, malformed_json, unknown_field"),
			"message": str("human message in the language of Accept-Language (Chinese by default)"),
			"field":   str("the request field the error concerns, when there is one"),
		})}),
		"ImportError": object([]string{"error"}, obj{"error": object([]string{"code", "message", "rows"}, obj{
			"code":    obj{"type": "string", "const": codeImportRows},
			"message": str("summary"),
			"rows": obj{"type": "array", "items": object([]string{"row", "field", "message"}, obj{
				"row":     integer("row number in the sheet"),
				"field":   str("code, name, parent_code or kind; empty when the whole row is refused"),
				"message": str("what is wrong"),
			})},
		})}),
		"ImportResult": object([]string{"created"}, obj{"created": integer("units created")}),
		"Me": object([]string{"username", "name", "unit_code", "roles"}, obj{
			"username":  str("username"),
			"name":      str("name"),
			"unit_code": str("the person's unit"),
			"roles":     obj{"type": "array", "items": schemaRef("Role")},
		}),
		"Role": role,
		"Unit": object([]string{"code", "name", "parent_code", "kind", "depth", "closed", "children", "created_at"}, obj{
			"code":        str("unique unit code"),
			"name":        str("name (Chinese)"),
			"parent_code": nullable("string", "the parent unit; null for the top unit"),
			"kind":        obj{"type": "string", "enum": []string{"", "province", "city", "county", "organ", "department"}},
			"depth":       integer("read-only: 1 for the top unit"),
			"closed":      boolean("read-only: closed (撤销)"),
			"closed_at":   nullable("integer", "read-only: when it was closed, unix ms"),
			"children":    integer("read-only: open sub-units"),
			"created_at":  integer("read-only: unix ms"),
		}),
		"UnitCreate": object([]string{"code", "name", "parent_code"}, obj{
			"code":        obj{"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
			"name":        obj{"type": "string", "minLength": 1, "maxLength": 100},
			"parent_code": str("the parent unit"),
			"kind":        obj{"type": "string", "enum": []string{"", "province", "city", "county", "organ", "department"}},
		}),
		"UnitPatch": object(nil, obj{
			"name":        obj{"type": "string", "minLength": 1, "maxLength": 100, "description": "new name"},
			"parent_code": str("new parent: moves the unit with its subtree"),
		}),
		"UnitList": listOf("Unit"),
		"User": object([]string{"username", "name", "unit_code", "unit_name", "roles", "totp_enabled", "disabled", "locked", "created_at"}, obj{
			"username":     str("username"),
			"name":         str("name"),
			"unit_code":    str("the person's unit"),
			"unit_name":    str("read-only: the unit's name"),
			"roles":        obj{"type": "array", "items": schemaRef("Role")},
			"totp_enabled": boolean("read-only: two-factor sign-in is on"),
			"disabled":     boolean("read-only here (PATCH disabled to change)"),
			"locked":       boolean("read-only: locked after failed sign-ins"),
			"created_at":   integer("read-only: unix ms"),
		}),
		"UserCreate": object([]string{"username", "name", "unit_code", "roles", "password"}, obj{
			"username":  obj{"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{1,31}$"},
			"name":      obj{"type": "string", "minLength": 1, "maxLength": 50},
			"unit_code": str("the person's unit"),
			"roles":     obj{"type": "array", "minItems": 1, "items": schemaRef("Role")},
			"password":  obj{"type": "string", "minLength": 8, "maxLength": 128, "writeOnly": true},
		}),
		"UserPatch": object(nil, obj{
			"name":      obj{"type": "string", "minLength": 1, "maxLength": 50},
			"unit_code": str("moves the person to this unit"),
			"roles":     obj{"type": "array", "minItems": 1, "items": schemaRef("Role"), "description": "replaces every role"},
			"disabled":  boolean("disable (true) or re-enable (false) the account"),
		}),
		"UserList":      listOf("User"),
		"PasswordReset": object([]string{"password"}, obj{"password": obj{"type": "string", "minLength": 8, "maxLength": 128, "writeOnly": true}}),
		"AuditEntry": object([]string{"seq", "at", "time", "actor", "action", "object_type", "object_id", "detail", "prev_hash", "hash"}, obj{
			"seq":         integer("position in the chain"),
			"at":          integer("unix ms"),
			"time":        obj{"type": "string", "format": "date-time"},
			"actor":       str("username, or system"),
			"action":      str("e.g. unit.create"),
			"object_type": str("e.g. unit"),
			"object_id":   str("e.g. a unit code"),
			"unit_code":   str("the unit the entry belongs to, when it belongs to one"),
			"detail":      obj{"type": "object"},
			"prev_hash":   str("hash of the previous entry"),
			"hash":        str("hash of this entry"),
		}),
		"AuditList": object([]string{"items", "next_before"}, obj{
			"items":       obj{"type": "array", "items": schemaRef("AuditEntry")},
			"next_before": nullable("integer", "pass as before= for the next page; null at the end"),
		}),
		"Token": object([]string{"id", "name", "prefix", "created_at", "last_used_at", "revoked", "revoked_at"}, obj{
			"id":           integer("token id"),
			"name":         str("label"),
			"prefix":       str("first characters of the secret, to recognise it"),
			"created_at":   integer("unix ms"),
			"last_used_at": nullable("integer", "unix ms"),
			"revoked":      boolean("revoked"),
			"revoked_at":   nullable("integer", "unix ms"),
		}),
		"TokenCreate": object(nil, obj{"name": obj{"type": "string", "maxLength": 60, "description": "label; default api"}}),
		"TokenCreated": object([]string{"id", "name", "prefix", "created_at", "token"}, obj{
			"id":           integer("token id"),
			"name":         str("label"),
			"prefix":       str("first characters of the secret"),
			"created_at":   integer("unix ms"),
			"last_used_at": nullable("integer", "always null"),
			"revoked":      boolean("always false"),
			"revoked_at":   nullable("integer", "always null"),
			"token":        str("the secret (lst_…): shown only now, send it as Authorization: Bearer"),
		}),
		"TokenList": listOf("Token"),
	}

	problemsDoc(paths, schemas)
	reportsDoc(paths, schemas)
	dashboardDoc(paths, schemas)
	problemFilesDoc(paths, schemas)
	ratingsDoc(paths, schemas)
	projectsDoc(paths, schemas)
	scoreDoc(paths, schemas)
	warningsDoc(paths, schemas)
	studyDoc(paths, schemas)
	searchDoc(paths, schemas)

	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "luoshi API",
			"version": "1",
			"description": "JSON API of luoshi. Authenticate with `Authorization: Bearer lst_…` (create a token with " +
				"`luoshi token create --user NAME` or POST /api/v1/tokens). Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`; " +
				"messages follow Accept-Language (Chinese by default). Request bodies must be `application/json`, at most 1 MiB, " +
				"with no unknown or repeated fields; the ledger steps that carry evidence files also take `multipart/form-data` " +
				"with the same fields. Times are unix milliseconds.",
		},
		"servers":  []any{obj{"url": "/"}},
		"security": []any{obj{"bearer": []string{}}},
		"tags": []any{obj{"name": "me"}, obj{"name": "units"}, obj{"name": "users"}, obj{"name": "audit"},
			obj{"name": "problems"}, obj{"name": "tokens"}, obj{"name": "meta"}},
		"paths": paths,
		"components": obj{
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
				"description": "an API token: lst_ followed by 43 characters"}},
			"schemas":   schemas,
			"responses": responses,
		},
	}
}

func roleNames() []string {
	out := make([]string, 0, len(org.Roles))
	for _, r := range org.Roles {
		out = append(out, string(r))
	}
	return out
}

func strEnum(desc string, values ...string) obj {
	return obj{"type": "string", "enum": values, "description": desc}
}

func statusNames() []string {
	out := make([]string, 0, len(ledger.Statuses))
	for _, s := range ledger.Statuses {
		out = append(out, string(s))
	}
	return out
}

// formBody is a request body sent as JSON, or as multipart/form-data with the
// same fields and files.
func formBody(jsonSchema, formSchema string) obj {
	return obj{"required": true, "content": obj{
		"application/json":    obj{"schema": schemaRef(jsonSchema)},
		"multipart/form-data": obj{"schema": schemaRef(formSchema)},
	}}
}

func fileArray(desc string) obj {
	return obj{"type": "array", "maxItems": maxUploadFiles, "description": desc,
		"items": obj{"type": "string", "contentMediaType": "application/octet-stream"}}
}

// problemsDoc adds the problem ledger (问题台账) to the document.
func problemsDoc(paths, schemas obj) {
	id := obj{"name": "id", "in": "path", "required": true, "description": "problem id (not its number)",
		"schema": obj{"type": "integer", "format": "int64", "minimum": 1}}
	item := func(desc string) obj { return obj{"200": ok(desc, "Problem")} }
	writes := []string{"400", "403", "404", "409", "413", "415"}
	action := func(opID, summary, body string) obj {
		return op(opID, "problems", summary, nil, jsonBody(body), item("the item after the step"), writes...)
	}
	paths["/api/v1/problems"] = obj{
		"get": op("listProblems", "problems", "List the items the principal may see (their read scope, and the items they are responsible for)",
			[]any{
				query("unit", "unit code: items of this unit's subtree", obj{"type": "string"}),
				query("status", "status; review_due for closed items whose look-back (回头看) is due; active for open, in_progress and reopened", obj{"type": "string", "enum": append(statusNames(), "review_due", ledger.StatusActive)}),
				query("light", "traffic light", obj{"type": "string", "enum": ledger.Lights}),
				query("class", "class", obj{"type": "string", "enum": ledger.Classes}),
				query("source", "source", obj{"type": "string", "enum": ledger.Sources}),
				query("tag", "carries this tag", obj{"type": "string"}),
				query("responsible", "username of the responsible person", obj{"type": "string"}),
				query("supervised", "only items under named supervision (挂牌督办)", obj{"type": "boolean", "default": false}),
				query("mine", "only items the principal is responsible for", obj{"type": "boolean", "default": false}),
				query("deadline_from", "deadline on or after this day (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
				query("deadline_to", "deadline on or before this day (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
				query("created_from", "recorded on or after this day, China time (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
				query("created_to", "recorded on or before this day, China time (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
				query("closed_from", "closed (销号) on or after this day (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
				query("closed_to", "closed (销号) on or before this day (YYYY-MM-DD)", obj{"type": "string", "format": "date"}),
				query("direct", "with unit: only the unit's own items, not those of the units below", obj{"type": "boolean", "default": false}),
				query("q", "number or title contains", obj{"type": "string"}),
				query("sort", "order: deadline (default), -deadline, number, -created, light (red first)", obj{"type": "string", "enum": ledger.Sorts}),
				query("page", "page number, from 1", obj{"type": "integer", "minimum": 1, "default": 1}),
				query("per_page", "page size, at most 200", obj{"type": "integer", "minimum": 1, "maximum": ledger.MaxPage, "default": 50}),
			}, nil, obj{"200": ok("a page of items", "ProblemList")}, "400"),
		"post": op("createProblem", "problems", "Record an item; unless draft is true it opens at once and needs the 三定 (responsible, measures, deadline)",
			nil, jsonBody("ProblemCreate"), obj{"201": created("the new item", "Problem", true)}, "400", "413", "415"),
	}
	paths["/api/v1/problems/{id}"] = obj{
		"parameters": []any{id},
		"get":        op("getProblem", "problems", "One item", nil, nil, item("the item"), "400", "404"),
		"patch": op("patchProblem", "problems", "Change the fields sent: everything while in draft; once open only severity and tags (another changed field is 409)",
			nil, jsonBody("ProblemPatch"), item("the item after the change"), writes...),
	}
	paths["/api/v1/problems/{id}/events"] = obj{
		"parameters": []any{id},
		"get": op("listProblemEvents", "problems", "The item's timeline, oldest first, with the evidence of each step", nil, nil,
			obj{"200": ok("the timeline", "ProblemEvents")}, "400", "404"),
	}
	paths["/api/v1/problems/{id}/attachments/{aid}"] = obj{
		"parameters": []any{id, obj{"name": "aid", "in": "path", "required": true, "description": "attachment id (evidence or mechanism file of this item)",
			"schema": obj{"type": "integer", "format": "int64", "minimum": 1}}},
		"get": op("getProblemAttachment", "problems", "Download an evidence or mechanism file of the item", nil, nil,
			obj{"200": obj{"description": "the file, as a download (Content-Disposition: attachment; X-Content-Type-Options: nosniff)",
				"headers": obj{"Content-Disposition": obj{"description": "attachment; filename=\"…\"; filename*=UTF-8''…",
					"schema": obj{"type": "string"}}},
				"content": obj{"*/*": obj{"schema": obj{"type": "string", "contentMediaType": "application/octet-stream"}}}}},
			"400", "404"),
	}
	paths["/api/v1/problems/{id}/submit"] = obj{
		"parameters": []any{id},
		"post": op("submitProblem", "problems", "Open a draft (draft → open); it needs the 三定", nil, nil,
			item("the opened item"), "400", "403", "404", "409"),
	}
	paths["/api/v1/problems/{id}/progress"] = obj{
		"parameters": []any{id},
		"post": op("reportProgress", "problems", "Report progress with optional evidence files (→ in_progress); the percentage never goes down",
			nil, formBody("ProgressRequest", "ProgressForm"), item("the item after the report"), writes...),
	}
	paths["/api/v1/problems/{id}/close"] = obj{
		"parameters": []any{id},
		"post": op("requestClose", "problems", "Ask for closing (销号) → pending_verification; refused while the item has no evidence at all; long-term items need the lasting mechanism (建章立制)",
			nil, formBody("CloseRequest", "CloseForm"), item("the item awaiting verification"), writes...),
	}
	paths["/api/v1/problems/{id}/verify"] = obj{
		"parameters": []any{id},
		"post": action("verifyProblem", "Decide a closing request: approve → closed (the look-back date is set), refuse → in_progress with the reason. "+
			"Inspectors in scope or the leader of a unit above; never the responsible person, the last reporter or the requester", "VerifyRequest"),
	}
	paths["/api/v1/problems/{id}/review"] = obj{
		"parameters": []any{id},
		"post":       action("reviewProblem", "Record the look-back (回头看) of a closed item; recurred reopens it with a new deadline", "ReviewRequest"),
	}
	paths["/api/v1/problems/{id}/extension"] = obj{
		"parameters": []any{id},
		"post":       action("requestExtension", "Ask for a later deadline (延期) with a reason", "ExtensionRequest"),
	}
	paths["/api/v1/problems/{id}/extension/decide"] = obj{
		"parameters": []any{id},
		"post":       action("decideExtension", "Approve or refuse the pending extension (a deputy or leader in scope, not the requester)", "ExtensionDecision"),
	}
	paths["/api/v1/problems/{id}/supervise"] = obj{
		"parameters": []any{id},
		"post":       action("superviseProblem", "Put the item under named supervision (挂牌督办) by the inspector's unit, or lift it with interval_days 0", "SuperviseRequest"),
	}

	day := func(desc string) obj { return obj{"type": "string", "format": "date", "description": desc} }
	nullDay := func(desc string) obj {
		return obj{"type": []string{"string", "null"}, "format": "date", "description": desc}
	}
	problemProps := obj{
		"id":                integer("id, for the URLs"),
		"number":            str("the number people quote, e.g. WT-2026-000123"),
		"title":             str("title"),
		"description":       str("description"),
		"source":            strEnum("自查自纠 self_check, 督查/巡察 inspection, 群众反映 citizen_report, 差评 rating, 线索转办 clue, 其他 other", ledger.Sources...),
		"class":             strEnum("立行立改 immediate, 限期整改 deadline, 长期整改 longterm", ledger.Classes...),
		"severity":          strEnum("一般 normal, 较重 serious, 严重 grave", ledger.Severities...),
		"tags":              obj{"type": "array", "items": obj{"type": "string"}, "description": "category tags (the 六大顽瘴痼疾 are built in)"},
		"unit_code":         str("responsible unit"),
		"unit_name":         str("read-only: its name"),
		"responsible":       nullable("string", "username of the responsible person (责任人); null until fixed"),
		"responsible_name":  nullable("string", "read-only: their name"),
		"measures":          str("corrective measures (整改措施)"),
		"deadline":          nullDay("completion deadline (完成时限); null until fixed"),
		"start_day":         day("read-only: the day the clock started (opening or reopening)"),
		"status":            strEnum("read-only: changes through the lifecycle endpoints", statusNames()...),
		"percent":           integer("read-only: reported progress, 0–100"),
		"light":             strEnum("read-only: red past the deadline, yellow close to it or behind schedule, green otherwise", ledger.Lights...),
		"extensions":        integer("read-only: extensions granted"),
		"extension_request": obj{"oneOf": []any{obj{"type": "null"}, schemaRef("ExtensionPending")}, "description": "read-only: the extension awaiting a decision"},
		"reopen_count":      integer("read-only: times the look-back found the problem back"),
		"supervised":        boolean("read-only: under named supervision (挂牌督办)"),
		"supervision":       obj{"oneOf": []any{obj{"type": "null"}, schemaRef("Supervision")}, "description": "read-only: the supervision, when supervised"},
		"origin_type":       obj{"type": []string{"string", "null"}, "enum": append(append([]any{}, toAny(ledger.OriginTypes)...), nil), "description": "kind of record the item came from"},
		"origin_ref":        nullable("string", "that record's reference"),
		"evidence_count":    integer("read-only: evidence files on the item"),
		"close_standard":    str("read-only: how the 销号 standard is met, from the closing request"),
		"closed_on":         nullDay("read-only: the day it was closed (销号)"),
		"review_due":        nullDay("read-only: the look-back (回头看) day"),
		"review_result":     obj{"type": []string{"string", "null"}, "enum": []any{"passed", "recurred", nil}, "description": "read-only: the look-back's result"},
		"mechanism":         obj{"oneOf": []any{obj{"type": "null"}, schemaRef("Mechanism")}, "description": "read-only: the lasting mechanism (建章立制) of a long-term item"},
		"created_at":        integer("read-only: unix ms"),
		"updated_at":        integer("read-only: unix ms"),
	}
	required := make([]string, 0, len(problemProps))
	for k := range problemProps {
		required = append(required, k)
	}
	slices.Sort(required)
	schemas["Problem"] = object(required, problemProps)
	schemas["ProblemList"] = listOf("Problem")
	schemas["ExtensionPending"] = object([]string{"deadline", "reason"}, obj{
		"deadline": day("the deadline asked for"), "reason": str("why"),
	})
	schemas["Supervision"] = object([]string{"since", "unit_code", "unit_name", "interval_days", "note"}, obj{
		"since":         integer("unix ms"),
		"unit_code":     str("the supervising unit"),
		"unit_name":     str("its name"),
		"interval_days": integer("required report interval, days"),
		"note":          str("note"),
	})
	schemas["Mechanism"] = object([]string{"title", "doc_number", "issued_on", "attachment_id"}, obj{
		"title":         str("name of the rule or system"),
		"doc_number":    str("document number (文号)"),
		"issued_on":     day("issuing date"),
		"attachment_id": nullable("integer", "the document, when uploaded"),
		"url":           str("download URL of the document, when uploaded"),
	})
	text := func(max int, desc string) obj { return obj{"type": "string", "maxLength": max, "description": desc} }
	createProps := obj{
		"title":       obj{"type": "string", "minLength": 1, "maxLength": 200},
		"description": text(5000, "description"),
		"source":      strEnum("source", ledger.Sources...),
		"class":       strEnum("class", ledger.Classes...),
		"severity":    strEnum("default normal", ledger.Severities...),
		"tags":        obj{"type": "array", "maxItems": 10, "items": obj{"type": "string", "maxLength": 40}},
		"unit_code":   str("responsible unit: one the principal may record items for"),
		"responsible": str("username of the responsible person, in the unit's subtree; required unless draft"),
		"measures":    text(5000, "corrective measures; required unless draft"),
		"deadline":    str("YYYY-MM-DD (2026年3月1日 is accepted too); not before today; required unless draft"),
		"origin_type": strEnum("kind of record the item came from", append([]string{""}, ledger.OriginTypes...)...),
		"origin_ref":  text(100, "that record's reference; required with origin_type"),
	}
	patchProps := obj{}
	for k, v := range createProps {
		patchProps[k] = v
	}
	createProps["draft"] = boolean("keep the item in draft (the 三定 may be completed later, then POST …/submit)")
	schemas["ProblemCreate"] = object([]string{"title", "source", "class", "unit_code"}, createProps)
	schemas["ProblemPatch"] = object(nil, patchProps)
	schemas["ProblemEvents"] = object([]string{"items"}, obj{"items": obj{"type": "array", "items": schemaRef("ProblemEvent")}})
	schemas["ProblemEvent"] = object([]string{"id", "at", "actor", "kind", "from_status", "to_status", "note", "percent", "detail", "evidence"}, obj{
		"id":          integer("event id"),
		"at":          integer("unix ms"),
		"actor":       str("name of the person (or system)"),
		"kind":        str("created, edited, submitted, progress, close_requested, close_rejected, closed, review_passed, review_recurred, extension_requested, extension_approved, extension_refused, supervised, supervision_lifted, …"),
		"from_status": obj{"type": []string{"string", "null"}, "description": "status before, when the step changed it"},
		"to_status":   obj{"type": []string{"string", "null"}, "description": "status after, when the step changed it"},
		"note":        str("note, reason or decision"),
		"percent":     nullable("integer", "progress reported"),
		"detail":      obj{"type": []string{"object", "null"}, "description": "step details, e.g. the new deadline"},
		"evidence":    obj{"type": "array", "items": schemaRef("Evidence")},
	})
	schemas["Evidence"] = object([]string{"attachment_id", "name", "mime", "size", "url"}, obj{
		"attachment_id": integer("attachment id"),
		"name":          str("file name"),
		"mime":          str("content type"),
		"size":          integer("bytes"),
		"url":           str("download URL"),
	})
	note := text(2000, "note")
	percent := obj{"type": "integer", "minimum": 0, "maximum": 100, "description": "progress; not below the last report"}
	files := fileArray("evidence files (" + attach.Accepted + "), each checked against its content")
	schemas["ProgressRequest"] = object([]string{"note", "percent"}, obj{"note": note, "percent": percent})
	schemas["ProgressForm"] = object([]string{"note", "percent"}, obj{"note": note, "percent": percent, "evidence": files})
	closeProps := obj{
		"note":           note,
		"standard":       text(1000, "how the 销号 standard is met"),
		"mech_title":     text(200, "long-term items: the rule or system built (建章立制)"),
		"mech_doc_no":    text(100, "its document number (文号)"),
		"mech_issued_on": str("its issuing date, YYYY-MM-DD, not after today"),
	}
	schemas["CloseRequest"] = object([]string{"note"}, closeProps)
	closeForm := obj{"evidence": files, "mech_file": obj{"type": "string", "contentMediaType": "application/octet-stream", "description": "the mechanism's document"}}
	for k, v := range closeProps {
		closeForm[k] = v
	}
	schemas["CloseForm"] = object([]string{"note"}, closeForm)
	schemas["VerifyRequest"] = object([]string{"approve"}, obj{
		"approve": boolean("true closes the item (销号); false sends it back"),
		"note":    text(2000, "the reason; required when refusing"),
	})
	schemas["ReviewRequest"] = object([]string{"recurred"}, obj{
		"recurred": boolean("true: the problem is back; the item reopens"),
		"note":     text(2000, "findings; required when recurred"),
		"deadline": str("the new deadline (YYYY-MM-DD), required when recurred"),
	})
	schemas["ExtensionRequest"] = object([]string{"deadline", "reason"}, obj{
		"deadline": str("the new deadline (YYYY-MM-DD), later than the current one"),
		"reason":   text(2000, "why"),
	})
	schemas["ExtensionDecision"] = object([]string{"approve"}, obj{
		"approve": boolean("grant (the deadline moves) or refuse"),
		"note":    text(2000, "required when refusing"),
	})
	schemas["SuperviseRequest"] = object([]string{"interval_days"}, obj{
		"interval_days": obj{"type": "integer", "minimum": 0, "maximum": 90, "description": "required report interval in days; 0 lifts the supervision"},
		"note":          text(2000, "required when supervising"),
	})
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
