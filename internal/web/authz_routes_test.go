package web_test

import (
	"net/url"
	"strings"
)

// authzRule is one route's entry in the authorization matrix.
type authzRule struct {
	// allow: who may use the route inside their scope: role names separated
	// by spaces, or public (anyone, signed in or not), staff (every signed-in
	// person), root (only an administrator of the whole tree), none.
	allow string
	// scoped: the route is refused when its ids or units lie outside the
	// asker's scope (the other side of the fixture).
	scoped bool
	// variants are the values sent for {action}.
	variants []string
	// notFound: the fixture's record is not one this route serves (a project
	// that is not public): every asker gets 404.
	notFound bool
	// skip says why the matrix does not send the route (never empty when set).
	skip string
}

// authzMatrix has one entry per route of the router (TestAuthorizationMatrixEveryRoute
// fails for a route without one).
var authzMatrix = map[string]authzRule{}

// authzBody is the body of a POST, PATCH or DELETE: valid, so the request
// would succeed if the asker were allowed.
func authzBody(f *authzFixture, route, variant, side string) (string, string) {
	s := side
	if s == "named" || s == "none" {
		s = "a"
	}
	ids := f.ids[s]
	if strings.Contains(route, " /api/") {
		return "application/json", `{}`
	}
	v := url.Values{"note": {"说明"}, "unit_code": {s + "-court"}, "title": {"标题"}, "reason": {"理由"}}
	_ = ids
	return "application/x-www-form-urlencoded", v.Encode()
}
