package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err means the database did not answer (it is
// down, restarting, unreachable or busy) or the disk is full, as opposed to a
// bug: nothing was saved, the request may simply be retried later, and the
// client is told 503, not 500. (A system call's errno counts as well: it
// satisfies net.Error.)
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		// a connection cut in the middle of an answer
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT),
		errors.As(err, &ne), errors.As(err, &ce), pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	case errors.As(err, &pe):
		// class 08: connection exception; 57P01-03: the server shuts down,
		// crashed or is starting; 53300: too many connections
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300"
	}
	s := err.Error()
	// pgx reports a connection it closed after a failure, and SQLite a busy
	// or closed database, only in the message text.
	for _, m := range []string{"conn closed", "connection reset", "broken pipe", "database is locked", "SQLITE_BUSY", "database is closed",
		"database or disk is full", "SQLITE_FULL"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// IsCanceled reports whether err is PostgreSQL's cancel of a statement
// (SQLSTATE 57014): its statement_timeout ran out, or it was cancelled.
func IsCanceled(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "57014"
}
