package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pgCPU sums the CPU time of the PostgreSQL server processes that serve one
// database (their process titles name it: "postgres: USER DB HOST …"), read
// from /proc. A backend that exits between two readings takes its CPU with
// it: the pool keeps its connections open during a run, so few do.
type pgCPU struct{ db string }

func newPGCPU(target string) *pgCPU {
	if !strings.HasPrefix(target, "postgres") {
		return &pgCPU{}
	}
	u, err := url.Parse(target)
	if err != nil {
		return &pgCPU{}
	}
	return &pgCPU{db: strings.TrimPrefix(u.Path, "/")}
}

// cpu is the servers' user+system time so far (0 without PostgreSQL).
func (p *pgCPU) cpu() time.Duration {
	if p.db == "" {
		return 0
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var ticks int64
	for _, c := range procs {
		b, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(string(b), "\x00", " "))
		if len(f) < 3 || f[0] != "postgres:" || f[2] != p.db {
			continue
		}
		st, err := os.ReadFile(filepath.Join(filepath.Dir(c), "stat"))
		if err != nil {
			continue
		}
		// the fields after the command (in parentheses): utime and stime are 14 and 15
		s := string(st)
		rest := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(rest) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(rest[11], 10, 64)
		k, _ := strconv.ParseInt(rest[12], 10, 64)
		ticks += u + k
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
