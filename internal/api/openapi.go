package api

import (
	"encoding/json"
	"net/http"
	"sync"

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

	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "luoshi API",
			"version": "1",
			"description": "JSON API of luoshi. Authenticate with `Authorization: Bearer lst_…` (create a token with " +
				"`luoshi token create --user NAME` or POST /api/v1/tokens). Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`; " +
				"messages follow Accept-Language (Chinese by default). Request bodies must be `application/json`, at most 1 MiB, " +
				"with no unknown or repeated fields. Times are unix milliseconds.",
		},
		"servers":  []any{obj{"url": "/"}},
		"security": []any{obj{"bearer": []string{}}},
		"tags": []any{obj{"name": "me"}, obj{"name": "units"}, obj{"name": "users"}, obj{"name": "audit"},
			obj{"name": "tokens"}, obj{"name": "meta"}},
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
