package store

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"

	"modernc.org/sqlite"
)

// SQLite parses the SQL text of every query anew: without a cache, parsing
// takes a fifth to a half of the CPU time of a page view. The read pool of an
// SQLite database therefore keeps, per connection, the statements it has
// prepared, keyed by their text, and runs a query again by binding new
// arguments to the prepared statement. PostgreSQL needs none of this: pgx
// keeps its own per-connection statement cache.
//
// database/sql hands a connection to one caller at a time, so a connection's
// cache needs no lock; a statement still being read (its rows not closed, as
// inside a transaction with nested queries) is not reused: the query then runs
// unprepared, as it did before.

// maxCachedStmts bounds the statements one connection keeps. Texts differ by
// filter combination and by the number of scopes or ids in a list; beyond the
// bound a random idle statement makes room.
const maxCachedStmts = 256

// sqliteConn is what the modernc driver's connection offers and database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type stmtCacheConnector struct{ base driver.Connector }

// newStmtCacheConnector opens SQLite connections (dsn as for sql.Open) that
// keep their prepared read statements.
func newStmtCacheConnector(dsn string) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return stmtCacheConnector{base}, nil
}

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok { // a driver version without these methods: no cache, nothing lost
		return conn, nil
	}
	return &stmtCacheConn{sqliteConn: sc, stmts: map[string]*cachedStmt{}}, nil
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.base.Driver() }

type stmtCacheConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt driver.StmtQueryContext
	busy bool // rows of it are open
}

// cacheable: one SELECT (or WITH) statement; scripts and writes run as before.
func cacheable(query string) bool {
	q := strings.TrimSpace(query)
	if len(q) < 6 || strings.Contains(q, ";") {
		return false
	}
	head := strings.ToUpper(q[:4])
	return head == "SELE" || head == "WITH"
}

func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.stmts[query]
	if cs == nil {
		if !cacheable(query) {
			return c.sqliteConn.QueryContext(ctx, query, args)
		}
		s, err := c.sqliteConn.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		qs, ok := s.(driver.StmtQueryContext)
		if !ok {
			s.Close()
			return c.sqliteConn.QueryContext(ctx, query, args)
		}
		c.makeRoom()
		cs = &cachedStmt{stmt: qs}
		c.stmts[query] = cs
	}
	if cs.busy {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

// makeRoom drops an idle statement when the cache is full.
func (c *stmtCacheConn) makeRoom() {
	if len(c.stmts) < maxCachedStmts {
		return
	}
	for q, cs := range c.stmts { // map order is random: a random victim
		if !cs.busy {
			cs.stmt.(driver.Stmt).Close()
			delete(c.stmts, q)
			return
		}
	}
}

func (c *stmtCacheConn) Close() error {
	for q, cs := range c.stmts {
		cs.stmt.(driver.Stmt).Close()
		delete(c.stmts, q)
	}
	return c.sqliteConn.Close()
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
