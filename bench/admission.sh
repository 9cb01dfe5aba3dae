#!/usr/bin/env bash
# Admission + settle benchmark, embedded vs Redis, on this machine. Needs JDK 25 and redis-server.
# Usage: bench/admission.sh [threads] [tenants]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-16}
tenants=${2:-100}
[ -f target/budgetguard.jar ] || ./mvnw -q -DskipTests package
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >/dev/null &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores, $(java -version 2>&1 | sed -n 1p)"
java -cp target/budgetguard.jar bench/AdmissionBench.java embedded - "$threads" "$tenants"
java -cp target/budgetguard.jar bench/AdmissionBench.java redis "redis://127.0.0.1:$port" "$threads" "$tenants"
java -cp target/budgetguard.jar bench/AdmissionBench.java embedded - "$threads" 1
java -cp target/budgetguard.jar bench/AdmissionBench.java redis "redis://127.0.0.1:$port" "$threads" 1
