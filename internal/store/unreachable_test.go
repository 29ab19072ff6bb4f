package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnreachable: what means "try again later" (503) and what is a bug (500).
func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("sql: Scan error on column index 0: converting NULL to int64"), false},
		{&pgconn.PgError{Code: "23505"}, false}, // a unique violation is the caller's business
		{&pgconn.PgError{Code: "42P01"}, false}, // undefined table: a bug
		{fmt.Errorf("insert: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{context.DeadlineExceeded, true},
		{&pgconn.PgError{Code: "57P01"}, true}, // admin shutdown
		{&pgconn.PgError{Code: "08006"}, true}, // connection failure
		{&pgconn.PgError{Code: "53300"}, true}, // too many connections
		{errors.New("conn closed"), true},
		{&fs.PathError{Op: "write", Path: "/data/attachments/x", Err: syscall.ENOSPC}, true},
		{errors.New("database or disk is full (13)"), true},
		{errors.New("database is locked (5) (SQLITE_BUSY)"), true},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("Unreachable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
