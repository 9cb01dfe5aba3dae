#!/usr/bin/env bash
# Memory soak: the embedded gateway (`all`, default policy active, nginx as upstream) under a paced load at half
# its saturation rate for SOAK seconds (default 300). Every 30 s it records the process RSS, the live heap
# (used after a full GC forced with jcmd, so garbage does not hide a leak), committed heap and thread count.
# Needs: JDK 25 (jcmd), nginx, wrk.
# Usage: bench/soak.sh [soak-seconds] [connections]   (JAVA_OPTS: the JVM options, by default the Dockerfile's)
set -euo pipefail
cd "$(dirname "$0")/.."
soak=${1:-300}
conns=${2:-32}
. bench/common.sh
up=$(port); gw=$(port)
body='{"id":"chatcmpl-bench","object":"chat.completion","created":1764000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how are you?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":7,"total_tokens":21}}'
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$up; location / { default_type application/json; return 200 '$body'; } } }
NGINX
nginx -p "$work" -c nginx.conf
admin=bench-admin-key-0123456789
env OPENAI_BASE_URL=http://127.0.0.1:$up OPENAI_KEY=sk-bench ADMIN_API_KEY=$admin OPA_POLICY_PATH=policy/bundle.tar.gz \
  HOST=127.0.0.1 PORT=$gw BUDGETGUARD_DATA_DIR="$work/h2" java $java_opts -jar target/budgetguard.jar all > "$work/gateway.log" 2>&1 &
gpid=$!
pids+=($gpid)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw/health" >/dev/null && break; sleep 0.2; done
curl -sf -X POST "http://127.0.0.1:$gw/admin/tenant" -H "X-Admin-Key: $admin" -H 'Content-Type: application/json' \
  -d '{"id":"bench","rate_limit_per_min":1000000,"budgets":[{"period":"monthly","limit_usd":100000},{"period":"daily","limit_usd":100000}]}' >/dev/null
key=$(curl -sf -X POST "http://127.0.0.1:$gw/admin/tenant/bench/apikeys" -H "X-Admin-Key: $admin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
url="http://127.0.0.1:$gw/v1/chat/completions"
KEY=$key wrk -t2 -c"$conns" -d30s -s bench/post.lua "$url" >/dev/null 2>&1 # warm-up
sat=$(KEY=$key wrk -t2 -c"$conns" -d10s -s bench/post.lua "$url" 2>&1 | awk '/Requests\/sec/{print int($2)}')
pace=$(python3 -c "print(max(1, round($conns * 1000 / ($sat / 2))))")
echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores, saturation $sat req/s; soaking ${soak}s at ~$((sat / 2)) req/s ($conns connections, ${pace} ms pause each)"
KEY=$key PACE_MS=$pace wrk -t2 -c"$conns" -d"${soak}s" --latency -s bench/post.lua "$url" > "$work/soak.txt" 2>&1 &
wrkpid=$!
pids+=($wrkpid)
printf '%6s %10s %14s %14s %8s\n' "t(s)" "rss(MiB)" "live heap(MiB)" "committed(MiB)" threads
for ((t = 0; t <= soak - 10; t += 30)); do
  [ "$t" -gt 0 ] && sleep 30
  jcmd "$gpid" GC.run >/dev/null
  # G1 prints one heap line; the parallel and serial collectors one per generation: their sum is the heap.
  info=$(jcmd "$gpid" GC.heap_info)
  heap=$(echo "$info" | awk '/garbage-first heap|PSYoungGen|ParOldGen|def new generation|tenured generation/{for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); gsub(/[K,]/,"",v); s+=v}} END {print s+0}')
  committed=$(echo "$info" | awk '/garbage-first heap/{for (i=1;i<=NF;i++) if ($i=="committed") {v=$(i+1); gsub(/[K,]/,"",v); s+=v}} /PSYoungGen|ParOldGen|def new generation|tenured generation/{for (i=1;i<=NF;i++) if ($i=="total") {v=$(i+1); gsub(/[K,]/,"",v); s+=v}} END {print s+0}')
  rss=$(awk '/VmRSS/{print $2}' /proc/$gpid/status)
  threads=$(awk '/Threads/{print $2}' /proc/$gpid/status)
  printf '%6d %10d %14d %14d %8d\n' "$t" $((rss / 1024)) $((heap / 1024)) $((committed / 1024)) "$threads"
done
wait "$wrkpid" || true
grep -E "Requests/sec|Non-2xx| 99%|^p99.9" "$work/soak.txt" | sed 's/^/  /'
