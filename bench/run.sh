#!/usr/bin/env bash
# Runs the load benchmark of BENCHMARKS.md end to end: builds the binary,
# generates the bench data (20,000 units, 200,000 people), starts the server,
# runs the page and API mixes, stops the server; on SQLite, then on PostgreSQL.
#
#   bench/run.sh [sqlite|postgres|all]     (default all)
#
# Environment: MIXES ("pages api"; "report" adds the public intake), DURATION (30s),
# CONCURRENCY (32; the report mix uses REPORT_CONCURRENCY, 50), UNITS (20000), PEOPLE (200000),
# PORT (18480), PGHOST/PGUSER for createdb/dropdb (127.0.0.1 / postgres).
#
# Steady state. A fresh server runs its start-up jobs at once (the scorecard
# and warnings snapshots of every unit, the search index catching up): the
# first minute measures them as much as the requests. So, by default, the
# script waits until the server is idle before the first mix:
#   WAIT_IDLE   1 (default): wait until the server process uses under 5 % of a
#               core over IDLE_WINDOW seconds (2) twice in a row, or at most
#               IDLE_TIMEOUT seconds (900); 0: start at once (the old behaviour,
#               which measures the start-up too)
#   WARMUP      a duration (e.g. 10s; default 0s, none): before each mix, run it
#               untimed for that long (warm caches, prepared statements,
#               sessions), then measure
# Each mix reports the server's CPU time per request over the timed run
# (loadgen --server-pid; sign-ins and warm-up excluded) beside throughput
# and latency. Example, steady state with a warm-up:
#   WARMUP=10s MIXES="pages api" DURATION=20s bench/run.sh sqlite
set -euo pipefail
cd "$(dirname "$0")/.."

WHICH=${1:-all}
DURATION=${DURATION:-30s}
CONCURRENCY=${CONCURRENCY:-32}
UNITS=${UNITS:-20000}
PEOPLE=${PEOPLE:-200000}
PORT=${PORT:-18480}
MIXES=${MIXES:-pages api}
REPORT_CONCURRENCY=${REPORT_CONCURRENCY:-50}
WAIT_IDLE=${WAIT_IDLE:-1}
IDLE_WINDOW=${IDLE_WINDOW:-2}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-900}
WARMUP=${WARMUP:-0s}
PGHOST=${PGHOST:-127.0.0.1}
PGUSER=${PGUSER:-postgres}
PW=bench-2026-secret
BIN=/tmp/luoshi-bench
LOADGEN=/tmp/luoshi-loadgen
WORK=$(mktemp -d /tmp/luoshi-bench.XXXXXX)
SERVER_PID=

cleanup() {
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ)"
go build -o "$BIN" ./cmd/luoshi
go build -o "$LOADGEN" ./bench/loadgen

# cpu_ticks PID: user+system CPU of the process so far, in clock ticks.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# wait_idle PID: wait until the process has been (nearly) idle for two windows
# in a row: its start-up jobs are done. /healthz and /metrics do not count as
# requests for the jobs' pacing, but this only reads /proc.
wait_idle() {
	local pid=$1 hz quiet=0 start=$SECONDS a b
	hz=$(getconf CLK_TCK)
	b=$(cpu_ticks "$pid")
	while [ $((SECONDS - start)) -lt "$IDLE_TIMEOUT" ]; do
		sleep "$IDLE_WINDOW"
		a=$(cpu_ticks "$pid")
		# under 5 % of one core over the window
		if [ $(((a - b) * 100)) -lt $((5 * hz * IDLE_WINDOW)) ]; then
			quiet=$((quiet + 1))
			if [ "$quiet" -ge 2 ]; then
				echo "server idle after $((SECONDS - start)) s (start-up jobs: $((a / hz)) s of CPU)"
				curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null | grep '^luoshi_job_runs_total' | sed 's/^/  /' || true
				return 0
			fi
		else
			quiet=0
		fi
		b=$a
	done
	echo "server still busy after ${IDLE_TIMEOUT} s: measuring anyway"
}

# serve_and_load LABEL SERVE_ARGS...: start the server, wait for /healthz (and
# for its start-up jobs, WAIT_IDLE), run the mixes (after a WARMUP each), stop it.
serve_and_load() {
	local label=$1; shift
	"$BIN" serve "$@" --addr "127.0.0.1:$PORT" --log-level warn --public-per-day 0 >"$WORK/server-$label.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
		sleep 0.2
	done
	curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null
	if [ "$WAIT_IDLE" = 1 ]; then wait_idle "$SERVER_PID"; fi
	for mix in $MIXES; do
		local before after conc=$CONCURRENCY
		[ "$mix" = report ] && conc=$REPORT_CONCURRENCY
		case $WARMUP in
		0 | 0s | "") ;;
		*)
			"$LOADGEN" --base "http://127.0.0.1:$PORT" --users "$WORK/accounts-$label.txt" --password "$PW" \
				--duration "$WARMUP" --concurrency "$conc" --mix "$mix" --quiet
			;;
		esac
		echo "load average before the $mix run: $(cut -d' ' -f1-3 /proc/loadavg)"
		before=$(cpu_ticks "$SERVER_PID")
		"$LOADGEN" --base "http://127.0.0.1:$PORT" --users "$WORK/accounts-$label.txt" --password "$PW" \
			--duration "$DURATION" --concurrency "$conc" --mix "$mix" --label "$label" --server-pid "$SERVER_PID"
		after=$(cpu_ticks "$SERVER_PID")
		echo "server CPU during the $mix run (sign-ins included): $(( (after - before) / $(getconf CLK_TCK) )) s"
		echo
	done
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

if [ "$WHICH" = sqlite ] || [ "$WHICH" = all ]; then
	echo "== SQLite"
	go run ./bench/gen --data "$WORK/data" --units "$UNITS" --people "$PEOPLE" --accounts "$WORK/accounts-sqlite.txt"
	serve_and_load sqlite --data "$WORK/data"
fi

if [ "$WHICH" = postgres ] || [ "$WHICH" = all ]; then
	echo "== PostgreSQL"
	DB_URL="postgres://$PGUSER@$PGHOST:5432/luoshi_bench?sslmode=disable"
	dropdb -h "$PGHOST" -U "$PGUSER" --if-exists luoshi_bench
	createdb -h "$PGHOST" -U "$PGUSER" luoshi_bench
	go run ./bench/gen --db "$DB_URL" --units "$UNITS" --people "$PEOPLE" --accounts "$WORK/accounts-postgres.txt"
	# fresh statistics and visibility map: the planner and index-only scans
	# otherwise see an empty database (autovacuum may not have run yet)
	psql -q -h "$PGHOST" -U "$PGUSER" -d luoshi_bench -c 'VACUUM ANALYZE'
	serve_and_load postgres --data "$WORK/pgdata" --db "$DB_URL"
	dropdb -h "$PGHOST" -U "$PGUSER" luoshi_bench
fi
