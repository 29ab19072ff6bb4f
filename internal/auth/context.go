package auth

import (
	"context"

	"github.com/luoshi/luoshi/internal/org"
)

type ctxKey int

const (
	keyPrincipal ctxKey = iota
	keySession
)

// WithPrincipal stores the authenticated principal (and the session, if the
// request came from a browser) in ctx. The HTTP layer sets it once per request.
func WithPrincipal(ctx context.Context, p *org.Principal, s *Session) context.Context {
	ctx = context.WithValue(ctx, keyPrincipal, p)
	if s != nil {
		ctx = context.WithValue(ctx, keySession, s)
	}
	return ctx
}

// PrincipalFrom returns the principal of a fully authenticated request, or nil.
func PrincipalFrom(ctx context.Context) *org.Principal {
	p, _ := ctx.Value(keyPrincipal).(*org.Principal)
	return p
}

// SessionFrom returns the browser session of the request, or nil (API tokens,
// anonymous visitors). A session may be in a partial stage (second factor pending).
func SessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(keySession).(*Session)
	return s
}
