#!/usr/bin/env bash
# Runs every Fuzz* test in the module for the given time each (default 30s).
# The seed corpora also run in the normal `go test`; this explores further.
# New failing inputs are written by Go to the package's testdata/fuzz/.
set -euo pipefail
export GOTOOLCHAIN=auto
time=${1:-30s}
cd "$(dirname "$0")/.."
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $fn ($time)"
    if ! go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$time" "$pkg" 2>&1 | tail -3; then
      status=1
    fi
  done
done
exit $status
