#!/usr/bin/env bash
# End-to-end throughput and latency, in one run on this machine, of:
#   nginx      a bare nginx reverse proxy in front of the upstream (the floor any proxy hop pays)
#   embedded   BudgetGuard `all` on the embedded default (H2 + in-process counters)
#   production BudgetGuard `serve` + `worker` on Postgres + Redis (AOF, fsync always)
# The upstream is nginx answering a fixed chat completion with a usage block (and, on /v1/completions, a fixed SSE
# stream ending in a usage chunk). Every BudgetGuard request does the full work: auth, estimate, policy, atomic
# admission, forward, atomic settle, ledger event.
# Measurements: (1) saturation: wrk at fixed concurrency, req/s and latency, ratios to nginx;
# (2) paced: each target at half its saturation rate (wrk with a per-connection pause), latency added over calling
# the upstream directly at the same rate; then every target at one fixed rate (RATE, 1,000 req/s), with the gateways'
# CPU per request, and the gateways at a low rate (LOW_RATE, 100 req/s); (3) streaming: time to the first SSE event,
# sequential, added over the upstream; (4) idle CPU of each gateway and the stores with no traffic.
# Needs: JDK 25, nginx, wrk, redis-server, a local Postgres reachable at TEST_DATABASE_URL (see .ci/run).
# The default policy bundle is active on both gateways (built with policy/build.sh when missing).
# Each target is warmed up for WARMUP seconds first (default 30): C2 keeps compiling for ~20 s under this load,
# and a 3 s warm-up measured a third of the steady-state throughput.
# Usage: bench/e2e.sh [seconds] [connections]     (WARMUP=secs to change the warm-up; RATE=1000 the fixed paced rate,
#        LOW_RATE=100 the low rate CPU per request is measured at, IDLE_SECS=30 the idle CPU window,
#        JAVA_OPTS the gateways' JVM options, by default the Dockerfile's: -Xmx384m -XX:+UseParallelGC;
#        JAR=path the jar to measure, by default target/budgetguard.jar; VARY_PROMPT=1 a new prompt on every request)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
conns=${2:-32}
warmup=${WARMUP:-30}
. bench/common.sh
up=$(port); px=$(port); g1=$(port); g2=$(port); rp=$(port)
sse='data: {"id":"cmpl-bench","object":"text_completion","created":1764000000,"model":"gpt-4o-mini","choices":[{"text":"Hello","index":0,"finish_reason":null}]}\n\ndata: {"id":"cmpl-bench","object":"text_completion","created":1764000000,"model":"gpt-4o-mini","choices":[{"text":" there","index":0,"finish_reason":"stop"}]}\n\ndata: {"id":"cmpl-bench","object":"text_completion","created":1764000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\ndata: [DONE]\n\n'
body='{"id":"chatcmpl-bench","object":"chat.completion","created":1764000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how are you?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":7,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0}}}'
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$up; keepalive 64; }
  server { listen 127.0.0.1:$up;
    location / { default_type application/json; return 200 '$body'; }
    location /v1/completions { default_type text/event-stream; return 200 '$sse'; } }
  server { listen 127.0.0.1:$px; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
NGINX
nginx -p "$work" -c nginx.conf
admin=bench-admin-key-0123456789
# DB_TIMEOUT_MS: on a loaded 2-core machine `serve` starting beside the embedded gateway's JIT once took over the
# default 2 s for its first Postgres connection and exited, which left the production row without a gateway.
common=(OPENAI_BASE_URL=http://127.0.0.1:$up OPENAI_KEY=sk-bench ADMIN_API_KEY=$admin OPA_POLICY_PATH=policy/bundle.tar.gz HOST=127.0.0.1
  DB_TIMEOUT_MS=10000)
env "${common[@]}" PORT=$g1 BUDGETGUARD_DATA_DIR="$work/h2" java $java_opts -jar "$jar" all > "$work/embedded.log" 2>&1 &
pids+=($!); embedded_pid=$!
redis-server --port "$rp" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync always --save "" > "$work/redis.log" 2>&1 &
pids+=($!); redis_pid=$!
admin_url=${TEST_DATABASE_URL:-postgresql://budgetguard:budgetguard@127.0.0.1:5432/postgres}
dbname=bg_bench_$$
PGPASSWORD=$(echo "$admin_url" | sed -E 's#.*://[^:]+:([^@]+)@.*#\1#') psql "$admin_url" -qc "CREATE DATABASE $dbname" >/dev/null
dburl="${admin_url%/*}/$dbname"
env "${common[@]}" PORT=$g2 REDIS_URL=redis://127.0.0.1:$rp DATABASE_URL="$dburl" java $java_opts -jar "$jar" serve > "$work/serve.log" 2>&1 &
pids+=($!); serve_pid=$!
sleep 3
env "${common[@]}" REDIS_URL=redis://127.0.0.1:$rp DATABASE_URL="$dburl" java $java_opts -jar "$jar" worker > "$work/worker.log" 2>&1 &
pids+=($!); worker_pid=$!
for g in $g1 $g2; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$g/health" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$g/health" >/dev/null || { echo "the gateway on port $g did not start:"; tail -5 "$work"/*.log; exit 1; }
done
key_for() {
  curl -sf -X POST "http://127.0.0.1:$1/admin/tenant" -H "X-Admin-Key: $admin" -H 'Content-Type: application/json' \
    -d '{"id":"bench","rate_limit_per_min":1000000,"budgets":[{"period":"monthly","limit_usd":100000},{"period":"daily","limit_usd":100000}]}' >/dev/null
  curl -sf -X POST "http://127.0.0.1:$1/admin/tenant/bench/apikeys" -H "X-Admin-Key: $admin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'
}
k1=$(key_for $g1); k2=$(key_for $g2)
echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores, $(java -version 2>&1 | sed -n 1p), wrk -t2 -c$conns -d${secs}s after ${warmup}s warm-up"
# CPU time (utime + stime, all threads) of processes, in microseconds, from /proc; peak RSS (VmHWM) in MiB.
cpu_us() {
  local tick total=0 p
  tick=$(getconf CLK_TCK)
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    # fields after the command name (which may hold spaces): utime and stime are the 12th and 13th of those
    total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo $((total * 1000000 / tick))
}
rss_mib() {
  local total=0 p
  for p in "$@"; do
    if [ -r "/proc/$p/status" ]; then total=$((total + $(awk '/VmHWM/{print $2} END{if(!NR)print 0}' "/proc/$p/status"))); fi
  done
  echo $((total / 1024))
}
# The processes each target spends CPU in: the gateway's own, and (production) the stores' and the worker's.
target_pids() {
  case $1 in
    nginx) { pgrep -f "nginx: worker process" || true; } | tr '\n' ' ' ;;
    embedded) echo "$embedded_pid" ;;
    production) echo "$serve_pid" ;;
  esac
}
store_pids() {
  if [ "$1" = production ]; then echo "$worker_pid $redis_pid $({ pgrep -u postgres || true; } | tr '\n' ' ')"; fi
}
run() {
  local name=$1 url=$2 key=$3
  KEY=$key wrk -t2 -c"$conns" -d"${warmup}s" -s bench/post.lua "$url" >/dev/null 2>&1 # warm-up (JIT, pools)
  local own stores c0 s0
  own=$(target_pids "$name"); stores=$(store_pids "$name")
  c0=$(cpu_us $own); s0=$(cpu_us $stores)
  KEY=$key wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/post.lua "$url" > "$work/$name.txt" 2>&1
  local c1 s1 n cpu store_cpu
  c1=$(cpu_us $own); s1=$(cpu_us $stores)
  n=$(awk '/requests in/{print $1}' "$work/$name.txt"); n=${n:-1}
  cpu=$(( (c1 - c0) / (n > 0 ? n : 1) )); store_cpu=$(( (s1 - s0) / (n > 0 ? n : 1) ))
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/{print $2}' "$work/$name.txt")
  p50=$(awk '/ 50%/{print $2}' "$work/$name.txt"); p99=$(awk '/ 99%/{print $2}' "$work/$name.txt")
  non2xx=$(awk '/Non-2xx/{print $5}' "$work/$name.txt"); non2xx=${non2xx:-0}
  p999=$(awk '/^p99.9/{print $2}' "$work/$name.txt")
  printf '%-11s req/s %9s  p50 %8s  p99 %8s  p99.9 %8s  non-2xx %s  cpu/req %5d us%s  peak rss %d MiB\n' "$name" "$rps" "$p50" \
    "$p99" "$p999" "$non2xx" "$cpu" "$([ -n "$stores" ] && echo " (+ stores and worker $store_cpu us)")" "$(rss_mib $own)"
  echo "$rps" > "$work/$name.rps"
}
# paced NAME URL KEY RATE [TARGET]: wrk at about RATE req/s (per-connection pause), prints achieved rate and latency,
# and with TARGET (embedded, production) the CPU time its processes spent per request meanwhile.
paced() {
  local name=$1 url=$2 key=$3 rate=$4 target=${5:-} pace own="" stores="" c0=0 s0=0
  pace=$(python3 -c "print(max(1, round($conns * 1000 / $rate)))")
  if [ -n "$target" ]; then own=$(target_pids "$target"); stores=$(store_pids "$target"); c0=$(cpu_us $own); s0=$(cpu_us $stores); fi
  KEY=$key PACE_MS=$pace wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/post.lua "$url" > "$work/paced-$name.txt" 2>&1
  local rps p50 p99 p999 non2xx cpu="" n
  rps=$(awk '/Requests\/sec/{print $2}' "$work/paced-$name.txt")
  p50=$(awk '/ 50%/{print $2}' "$work/paced-$name.txt"); p99=$(awk '/ 99%/{print $2}' "$work/paced-$name.txt")
  p999=$(awk '/^p99.9/{print $2}' "$work/paced-$name.txt")
  non2xx=$(awk '/Non-2xx/{print $5}' "$work/paced-$name.txt"); non2xx=${non2xx:-0}
  if [ -n "$target" ]; then
    n=$(awk '/requests in/{print $1}' "$work/paced-$name.txt"); n=${n:-1}; [ "$n" -gt 0 ] || n=1
    cpu=$(printf '  cpu/req %5d us' $(( ($(cpu_us $own) - c0) / n )))
    [ -n "$stores" ] && cpu="$cpu$(printf ' (+ stores and worker %d us)' $(( ($(cpu_us $stores) - s0) / n )))"
  fi
  printf '  %-22s req/s %8s  p50 %8s  p99 %8s  p99.9 %8s  non-2xx %s%s\n' "$name" "$rps" "$p50" "$p99" "$p999" "$non2xx" "$cpu"
}
run nginx "http://127.0.0.1:$px/v1/chat/completions" none
run embedded "http://127.0.0.1:$g1/v1/chat/completions" "$k1"
run production "http://127.0.0.1:$g2/v1/chat/completions" "$k2"
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
r = {n: float(open(f"{w}/{n}.rps").read()) for n in ("nginx", "embedded", "production")}
print(f"ratios: embedded/nginx {r['embedded']/r['nginx']:.2f}  production/nginx {r['production']/r['nginx']:.2f}  production/embedded {r['production']/r['embedded']:.2f}")
PY
echo "paced at half of each target's saturation, $conns connections; 'upstream' is nginx answering directly:"
half_b=$(python3 -c "print(int(float(open('$work/embedded.rps').read()) / 2))")
half_c=$(python3 -c "print(int(float(open('$work/production.rps').read()) / 2))")
paced "upstream@$half_b" "http://127.0.0.1:$up/v1/chat/completions" none "$half_b"
paced "nginx@$half_b" "http://127.0.0.1:$px/v1/chat/completions" none "$half_b"
paced "embedded@$half_b" "http://127.0.0.1:$g1/v1/chat/completions" "$k1" "$half_b"
paced "upstream@$half_c" "http://127.0.0.1:$up/v1/chat/completions" none "$half_c"
paced "production@$half_c" "http://127.0.0.1:$g2/v1/chat/completions" "$k2" "$half_c"
rate=${RATE:-1000}; low=${LOW_RATE:-100}
echo "paced at a fixed $rate req/s (the same schedule for every target; added latency = target - upstream):"
paced "upstream@$rate" "http://127.0.0.1:$up/v1/chat/completions" none "$rate"
paced "nginx@$rate" "http://127.0.0.1:$px/v1/chat/completions" none "$rate"
paced "embedded@$rate" "http://127.0.0.1:$g1/v1/chat/completions" "$k1" "$rate" embedded
paced "production@$rate" "http://127.0.0.1:$g2/v1/chat/completions" "$k2" "$rate" production
echo "CPU per request at a low rate ($low req/s), where timers and per-commit costs do not batch:"
paced "embedded@$low" "http://127.0.0.1:$g1/v1/chat/completions" "$k1" "$low" embedded
paced "production@$low" "http://127.0.0.1:$g2/v1/chat/completions" "$k2" "$low" production
echo "time to first SSE event, sequential, 2000 warm-up + 2000 measured (microseconds):"
for t in "upstream http://127.0.0.1:$up none" "nginx http://127.0.0.1:$px none" "embedded http://127.0.0.1:$g1 $k1" \
         "production http://127.0.0.1:$g2 $k2"; do
  set -- $t
  printf '  %-11s %s\n' "$1" "$(python3 bench/ttfb.py "$2/v1/completions" "$3" 2000)"
done
idle=${IDLE_SECS:-30}
sleep 5 # the last requests' background work (drain, flushes) is not idle time
tick=$(getconf CLK_TCK)
e0=$(cpu_us "$embedded_pid"); p0=$(cpu_us "$serve_pid"); w0=$(cpu_us $(store_pids production))
sleep "$idle"
pct() { python3 -c "print(f'{($1) / ($idle * 1e6) * 100:.2f}')"; }
echo "idle CPU over ${idle}s with no traffic (% of one core): embedded $(pct "$(cpu_us "$embedded_pid") - $e0"), production gateway $(pct "$(cpu_us "$serve_pid") - $p0"), worker + Redis + Postgres $(pct "$(cpu_us $(store_pids production)) - $w0")"
echo "ledger rows (production, after the worker drained): $(PGPASSWORD=budgetguard psql "$dburl" -tAc 'select count(*) from usage_ledger')"
