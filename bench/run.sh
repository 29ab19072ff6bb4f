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

# serve_and_load LABEL SERVE_ARGS...: start the server, wait for /healthz, run both mixes, stop it.
serve_and_load() {
	local label=$1; shift
	"$BIN" serve "$@" --addr "127.0.0.1:$PORT" --log-level warn --public-per-day 0 >"$WORK/server-$label.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
		sleep 0.2
	done
	curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null
	for mix in $MIXES; do
		local before after conc=$CONCURRENCY
		[ "$mix" = report ] && conc=$REPORT_CONCURRENCY
		before=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
		"$LOADGEN" --base "http://127.0.0.1:$PORT" --users "$WORK/accounts-$label.txt" --password "$PW" \
			--duration "$DURATION" --concurrency "$conc" --mix "$mix" --label "$label"
		after=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
		echo "server CPU during the $mix run: $(( (after - before) / $(getconf CLK_TCK) )) s"
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
