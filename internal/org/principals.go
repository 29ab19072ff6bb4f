package org

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luoshi/luoshi/internal/store"
)

// Every signed-in request needs its principal (person, unit, grants): loading
// it is one query with a row per grant, a tenth of a page view's CPU. The
// principals of the people using this process are kept for a few seconds:
// dropped as soon as this process changes a unit or a person (TreeVersion) or
// a second factor (PrincipalChanged), and after principalTTL in any case, so a
// change made on another node reaches this one within that time. The session
// or token itself is still checked on every request (signing out, revoking a
// token, disabling a person and closing sessions take effect at once
// everywhere).
const (
	principalTTL  = 3 * time.Second
	principalKept = 10000 // the map starts over beyond
)

type principalKey struct {
	db *store.DB // held: a closed database's address is not reused while its entries live
	id int64
}

type principalEntry struct {
	p         *Principal
	tree, gen int64
	at        time.Time
}

var (
	principalGen atomic.Int64
	principals   struct {
		mu sync.RWMutex
		m  map[principalKey]principalEntry
	}
)

// PrincipalChanged tells the principal cache that something a principal
// carries outside the tree (the second-factor flag) changed.
func PrincipalChanged() { principalGen.Add(1) }

// CachedPrincipal is LoadPrincipal from the short-lived cache. The caller
// gets its own copy (it may set TokenID); the grants are shared and read-only.
func CachedPrincipal(ctx context.Context, db *store.DB, userID int64) (*Principal, error) {
	k := principalKey{db, userID}
	tree, gen := TreeVersion(), principalGen.Load()
	principals.mu.RLock()
	e, ok := principals.m[k]
	principals.mu.RUnlock()
	if ok && e.tree == tree && e.gen == gen && time.Since(e.at) < principalTTL {
		cp := *e.p
		return &cp, nil
	}
	p, err := LoadPrincipal(ctx, db.Read, userID)
	if err != nil {
		return nil, err
	}
	kept := *p
	principals.mu.Lock()
	if principals.m == nil || len(principals.m) >= principalKept {
		principals.m = map[principalKey]principalEntry{}
	}
	principals.m[k] = principalEntry{p: &kept, tree: tree, gen: gen, at: time.Now()}
	principals.mu.Unlock()
	return p, nil
}
