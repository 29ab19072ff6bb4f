// Package apperr is the one error type that crosses from the capabilities to
// the HTTP layer: a kind (which decides the status code), a stable code for the
// API, a message key into the i18n catalogue, and the field it concerns.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the HTTP layer.
type Kind int

const (
	Invalid      Kind = iota + 1 // 400/422: the input is wrong
	NotFound                     // 404 (also used for "exists but you may not see it")
	Forbidden                    // 403
	Conflict                     // 409: duplicate or state conflict
	Unauthorized                 // 401
	TooMany                      // 429: locked out or rate limited
	Unavailable                  // 503
)

// Error is a user-facing error. Key names a message in the i18n catalogue
// (e.g. "err.unit.code_taken"); Args fill its placeholders.
type Error struct {
	Kind  Kind
	Code  string // stable machine code for the API, e.g. "invalid", "duplicate_code"
	Key   string
	Field string
	Args  []any
}

func (e *Error) Error() string {
	s := e.Key
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if len(e.Args) > 0 {
		s += fmt.Sprint(e.Args)
	}
	return s
}

// New builds an error.
func New(kind Kind, code, field, key string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Key: key, Field: field, Args: args}
}

// Invalidf is the common case: a field with a bad value.
func Invalidf(field, key string, args ...any) *Error {
	return New(Invalid, "invalid", field, key, args...)
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Common errors.
var (
	ErrNotFound     = New(NotFound, "not_found", "", "err.not_found")
	ErrForbidden    = New(Forbidden, "forbidden", "", "err.forbidden")
	ErrUnauthorized = New(Unauthorized, "unauthorized", "", "err.unauthorized")
)
