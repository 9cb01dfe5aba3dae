#!/usr/bin/env bash
# Policy evaluation p50/p99 for the default policy (compiled vs interpreted). Needs JDK 25 and the OPA CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/budgetguard.jar ] || ./mvnw -q -DskipTests package
policy/build.sh
echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores, $(java -version 2>&1 | sed -n 1p)"
java -cp target/budgetguard.jar bench/PolicyBench.java policy/bundle.tar.gz
