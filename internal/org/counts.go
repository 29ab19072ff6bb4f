package org

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luoshi/luoshi/internal/store"
)

// CountInScope returns how many open units p may read and how many people
// (disabled ones included) p may see: the 工作台 figures, in one round trip and
// without loading any row.
func CountInScope(ctx context.Context, db *store.DB, p *Principal) (units, people int, err error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	unitScopes, userScopes := ScopePaths(p, UnitRead), ScopePaths(p, UserRead)
	unitQ, userQ := "0", "0"
	if len(unitScopes) > 0 {
		unitQ = `(SELECT COUNT(*) FROM units u WHERE ` + scopeClause("u.path", unitScopes, arg) + ` AND u.closed_at IS NULL)`
	}
	if len(userScopes) > 0 {
		userQ = `(SELECT COUNT(*) FROM users u JOIN units un ON un.id = u.unit_id WHERE ` + scopeClause("un.path", userScopes, arg) + `)`
	}
	if len(args) == 0 {
		return 0, 0, nil
	}
	err = db.Read.QueryRowContext(ctx, `SELECT `+unitQ+`, `+userQ, args...).Scan(&units, &people)
	return units, people, err
}

// treeVersion counts the changes this process made to units and people.
var treeVersion atomic.Int64

// TreeVersion changes whenever this process creates, moves, closes or changes
// a unit or a person: caches of figures derived from the tree (the 工作台
// counts) compare it to know they are stale. Changes made by another node are
// not seen here, so such caches also expire by time.
func TreeVersion() int64 { return treeVersion.Load() }

// treeChanged is called on every change, inside its transaction and again
// after it commits, so a figure counted between the two is not kept.
func treeChanged() { treeVersion.Add(1) }

// The totals of long lists (the people of a city or a province: 10,000 to
// 200,000 rows) cost more to count than the page itself. A total of at least
// bigTotal rows is kept until this process changes a unit or a person
// (TreeVersion), and bigTotalTTL at most (changes made by another node); a
// smaller total is always counted afresh, so it is exact.
const (
	bigTotal      = 2000
	bigTotalTTL   = 30 * time.Second
	bigTotalsKept = 4096 // distinct queries kept; the map starts over beyond
)

type bigTotalEntry struct {
	n       int
	version int64
	at      time.Time
}

type bigTotalKey struct {
	db *store.DB // held: a closed database's address is not reused while its entries live
	q  string    // the query and its arguments
}

var bigTotals struct {
	mu sync.Mutex
	m  map[bigTotalKey]bigTotalEntry
}

// countRows runs a COUNT(*) query on the read pool, answering a large total
// from the cache when it is still current.
func countRows(ctx context.Context, db *store.DB, query string, args []any) (int, error) {
	key := bigTotalKey{db, fmt.Sprintf("%s\x00%v", query, args)}
	v := TreeVersion()
	bigTotals.mu.Lock()
	e, ok := bigTotals.m[key]
	bigTotals.mu.Unlock()
	if ok && e.version == v && time.Since(e.at) < bigTotalTTL {
		return e.n, nil
	}
	var n int
	if err := db.Read.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, err
	}
	if n >= bigTotal {
		bigTotals.mu.Lock()
		if bigTotals.m == nil || len(bigTotals.m) >= bigTotalsKept {
			bigTotals.m = map[bigTotalKey]bigTotalEntry{}
		}
		bigTotals.m[key] = bigTotalEntry{n: n, version: v, at: time.Now()}
		bigTotals.mu.Unlock()
	}
	return n, nil
}
