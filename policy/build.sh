#!/usr/bin/env bash
# Builds policy/bundle.tar.gz (wasm + data.json) from the Rego in this folder, or with --default the bundle
# shipped inside the jar (src/main/resources/policy/default-bundle.tar.gz, revision default-<source hash>: the
# build's PolicyEngineTest fails when it no longer matches the committed Rego and data).
# Uses `opa` from PATH (or $(go env GOPATH)/bin), else installs it with Go, else says what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OPA_VERSION=v1.22.3

find_opa() {
  if command -v opa >/dev/null 2>&1; then command -v opa; return 0; fi
  if command -v go >/dev/null 2>&1 && [ -x "$(go env GOPATH)/bin/opa" ]; then echo "$(go env GOPATH)/bin/opa"; return 0; fi
  return 1
}

opa=$(find_opa || true)
if [ -z "$opa" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "policy/build.sh: needs the OPA CLI ($OPA_VERSION): put 'opa' on PATH, or install Go so this script can run" >&2
    echo "  go install github.com/open-policy-agent/opa@$OPA_VERSION" >&2
    exit 1
  fi
  echo "policy/build.sh: installing opa $OPA_VERSION with go install (a few minutes, once)" >&2
  go install "github.com/open-policy-agent/opa@$OPA_VERSION"
  opa="$(go env GOPATH)/bin/opa"
fi

"$opa" test "$here/budgetguard.rego" "$here/budgetguard_test.rego" >&2
source_hash="$(cat "$here"/*.rego "$here/data.json" | sha256sum | cut -c1-12)"
out="${1:-$here/bundle.tar.gz}"
if [ "$out" = "--default" ]; then
  out="$here/../src/main/resources/policy/default-bundle.tar.gz"
  revision="default-$source_hash"
else
  revision="$(date -u +%Y%m%dT%H%M%SZ)-$source_hash"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/root"
cp "$here/budgetguard.rego" "$here/data.json" "$tmp/root/"
# The manifest names the input paths the policy reads (policy/manifest.sh); -b keeps it in the bundle.
"$here/manifest.sh" "$opa" "$tmp/root/.manifest" "$tmp/root/budgetguard.rego" "$tmp/root/data.json"
# The entrypoint is budgetguard/decision (DESIGN §5b); tests are not part of the bundle.
"$opa" build -b -t wasm -e budgetguard/decision --revision "$revision" -o "$tmp/bundle.tar.gz" "$tmp/root"
mkdir -p "$(dirname "$out")"
mv "$tmp/bundle.tar.gz" "$out"
echo "built $out (revision $revision)" >&2
