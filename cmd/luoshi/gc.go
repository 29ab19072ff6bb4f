package main

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The server's live heap is small (tens of megabytes: caches, sessions,
// statements; SQLite's pages live outside it), so with the default GOGC=100
// the collector runs every few megabytes allocated and marks the whole heap
// each time: a fifth of the CPU of a page view under load. tuneGC gives the
// heap a headroom of at least gcHeadroom above the live heap: GOGC rises while
// the live heap is small and falls back to 100 once it is large (the study
// index of a big deployment), so memory stays bounded by max(2 × live, live +
// gcHeadroom). Setting GOGC or GOMEMLIMIT in the environment turns it off.
const (
	gcHeadroom = 256 << 20
	gcMaxPct   = 2000
	gcEvery    = 5 * time.Second
)

func tuneGC(ctx context.Context) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	last := 100
	set := func() {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		pct := gcPercent(s[0].Value.Uint64())
		if pct != last {
			debug.SetGCPercent(pct)
			last = pct
		}
	}
	set()
	t := time.NewTicker(gcEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			set()
		}
	}
}

// gcPercent is the GOGC that leaves gcHeadroom above a live heap (at least
// 100, at most gcMaxPct), rounded to tens so small changes set nothing.
func gcPercent(live uint64) int {
	live = max(live, 4<<20)
	pct := int(gcHeadroom * 100 / live)
	return min(max(pct/10*10, 100), gcMaxPct)
}
