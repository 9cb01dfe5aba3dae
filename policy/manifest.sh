#!/bin/sh
# Writes the bundle's .manifest with, in its metadata, the input paths the policy reads: `opa deps` on
# data.budgetguard.decision, each path cut at its first term that is not a string key. The gateway then passes the
# policy only those parts of the input, skips gathering what no rule reads (the budgets' usage, the prompt text),
# and remembers the decision for an input it has seen (README, "Policy"). A bundle without it is evaluated on the
# whole input every time. POSIX sh: it also runs in the OPA image's busybox (Dockerfile).
# Usage: policy/manifest.sh OPA OUT_MANIFEST FILE... (the Rego and data.json files of the bundle)
set -eu
opa=$1
out=$2
shift 2
for f in "$@"; do
  set -- "$@" --data "$f"
  shift
done
deps="$out.deps"
"$opa" deps --format json "$@" data.budgetguard.decision > "$deps"
"$opa" eval --stdin-input --format raw 'json.marshal({"metadata": {"budgetguard": {"input_paths": [p |
    some r in input.base
    r[0].type == "var"
    r[0].value == "input"
    cut := min({j | some j, t in r; j > 0; t.type != "string"} | {count(r)})
    p := [t.value | some i, t in r; i > 0; i < cut]
  ]}}})' < "$deps" > "$out"
rm -f "$deps"
