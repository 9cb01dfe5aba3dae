#!/usr/bin/env bash
# Background-duty cost with many idle tenants: `serve` + `worker` on Redis + Postgres, 10,000 idle tenants (each
# with a monthly budget) and 10 active ones; after a warm-up, measures for MEASURE_S seconds the CPU of each
# process, the commands Redis ran and the statements Postgres ran, and prints them per worker period.
# Usage: bench/duties.sh [idle tenants] [active tenants]     (JAR=path/to/other/budgetguard.jar to compare builds)
# Needs: JDK 25, redis-server, psql and a local Postgres reachable at TEST_DATABASE_URL (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-10000}
active=${2:-10}
measure=${MEASURE_S:-60}
period_ms=${WORKER_PERIOD_MS:-5000}
jar=${JAR:-target/budgetguard.jar}
[ -f "$jar" ] || ./mvnw -q -DskipTests package
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up=$(port); gw=$(port); rp=$(port)
# The upstream: a fixed completion, enough for the active tenants' few calls.
python3 - "$up" > "$work/upstream.log" 2>&1 <<'PY' &
import http.server, sys
body = b'{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}'
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)
redis-server --port "$rp" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no > "$work/redis.log" 2>&1 &
pids+=($!)
admin_url=${TEST_DATABASE_URL:-postgresql://budgetguard:budgetguard@127.0.0.1:5432/postgres}
export PGPASSWORD=$(echo "$admin_url" | sed -E 's#.*://[^:]+:([^@]+)@.*#\1#')
dbname=bg_duties_$$
psql "$admin_url" -qc "CREATE DATABASE $dbname" >/dev/null
dburl="${admin_url%/*}/$dbname"
admin=bench-admin-key-0123456789
common=(OPENAI_BASE_URL=http://127.0.0.1:$up OPENAI_KEY=sk-bench ADMIN_API_KEY=$admin HOST=127.0.0.1
        REDIS_URL=redis://127.0.0.1:$rp DATABASE_URL="$dburl" WORKER_PERIOD_MS=$period_ms)
env "${common[@]}" PORT=$gw java -jar "$jar" serve > "$work/serve.log" 2>&1 &
serve_pid=$!; pids+=($serve_pid)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$gw/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$gw/health" >/dev/null || { echo "serve did not start:"; tail -n 20 "$work/serve.log"; exit 1; }
psql "$dburl" -qc "INSERT INTO tenants (id, name, rate_limit_per_min, created_at, updated_at)
  SELECT 'idle' || g, 'idle' || g, 600, now(), now() FROM generate_series(1, $idle) g;
  INSERT INTO budgets (tenant_id, period, limit_usd) SELECT 'idle' || g, 'monthly', 100 FROM generate_series(1, $idle) g;" >/dev/null
keys=()
for i in $(seq "$active"); do
  curl -sf -X POST "http://127.0.0.1:$gw/admin/tenant" -H "X-Admin-Key: $admin" -H 'Content-Type: application/json' \
    -d "{\"id\":\"active$i\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":100}]}" >/dev/null
  keys+=("$(curl -sf -X POST "http://127.0.0.1:$gw/admin/tenant/active$i/apikeys" -H "X-Admin-Key: $admin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')")
done
env "${common[@]}" java -jar "$jar" worker > "$work/worker.log" 2>&1 &
worker_pid=$!; pids+=($worker_pid)
calls() {
  for k in "${keys[@]}"; do
    curl -sf -o /dev/null "http://127.0.0.1:$gw/v1/chat/completions" -H "Authorization: Bearer $k" -H 'Content-Type: application/json' \
      -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":16}'
  done
}
calls
sleep $(( 3 * period_ms / 1000 + 10 )) # the worker's first (full) passes, JIT warm-up
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }
redis_cmds() { redis-cli -p "$rp" info stats | awk -F: '/^total_commands_processed/ { print $2+0 }'; }
pg_stats() { psql "$dburl" -tAc "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched FROM pg_stat_database WHERE datname = '$dbname'"; }
w0=$(cpu_ms $worker_pid); s0=$(cpu_ms $serve_pid); r0=$(redis_cmds); p0=$(pg_stats)
for _ in $(seq $(( measure / 10 ))); do calls; sleep 10; done # the active tenants stay active
w1=$(cpu_ms $worker_pid); s1=$(cpu_ms $serve_pid); r1=$(redis_cmds); p1=$(pg_stats)
periods=$(( measure * 1000 / period_ms ))
echo "commit $(git -C "$(dirname "$jar")/.." rev-parse --short HEAD 2>/dev/null || echo ?), $(date -u +%FT%TZ), $(nproc) cores; $idle idle + $active active tenants, worker period ${period_ms} ms, ${measure} s = $periods periods, $(( measure / 10 * active )) calls meanwhile"
echo "per period: worker CPU $(( (w1 - w0) / periods )) ms, serve CPU $(( (s1 - s0) / periods )) ms, Redis commands $(( (r1 - r0) / periods ))," \
  "Postgres transactions $(( (${p1%|*} - ${p0%|*}) / periods )), Postgres rows read $(( (${p1#*|} - ${p0#*|}) / periods ))"
psql "$admin_url" -qc "DROP DATABASE $dbname WITH (FORCE)" >/dev/null 2>&1 || true
