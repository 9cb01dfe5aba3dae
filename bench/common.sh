# Sourced by e2e.sh and soak.sh (from the repository root): builds what is missing, gives a work directory
# that is cleaned up with every process started into `pids` and the nginx running from it, and free ports.
[ -f target/budgetguard.jar ] || ./mvnw -q -DskipTests package
[ -f policy/bundle.tar.gz ] || policy/build.sh
work=$(mktemp -d)
# The JVM options the gateways run with: the Dockerfile's shipped defaults unless JAVA_OPTS says otherwise.
java_opts=${JAVA_OPTS:--Xmx384m -XX:+UseParallelGC}
# JAR: the build to measure (another build's jar for a before/after run), by default this tree's.
jar=${JAR:-target/budgetguard.jar}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
