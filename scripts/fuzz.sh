#!/usr/bin/env bash
# Runs every Fuzz* test in the module for the given time each (default 30s)
# and prints one line per target: execs, execs/s, new corpus entries, result.
# FUZZ, a regexp, selects targets by name (default: all).
# The seed corpora also run in the normal `go test`; this explores further.
#
# Each package's test binary is built once, with the fuzzing
# instrumentation (`go test -c -fuzz=.`), and run once per target in the
# package's folder, so a package with three targets is compiled once, not
# three times. The generated corpus goes where `go test -fuzz` keeps it
# ($GOCACHE/fuzz/PKG); a failing input is written by Go to the package's
# testdata/fuzz/FuzzName/, where it becomes a seed of the normal tests.
set -euo pipefail
export GOTOOLCHAIN=auto
time=${1:-30s}
# Go minimizes each new corpus entry for up to 60s by default; on the
# targets that verify signatures and chains that can take the whole run.
minimize=${FUZZMINIMIZETIME:-2s}
cd "$(dirname "$0")/.."
cache=$(go env GOCACHE)/fuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
summary=()
for dir in $(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . | xargs -n1 dirname | sort -u); do
  pkg=$(go list "$dir")
  fns=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //' | sort -u | grep -E -- "${FUZZ:-.}" || true)
  [ -n "$fns" ] || continue
  bin="$tmp/$(basename "$dir").test"
  if ! go test -c -fuzz=. -o "$bin" "$dir"; then
    summary+=("$pkg: does not build"); status=1; continue
  fi
  for fn in $fns; do
    echo "== $pkg $fn ($time)"
    log="$tmp/$fn.log"
    res=PASS
    (cd "$dir" && "$bin" -test.run='^$' -test.fuzz="^${fn}\$" -test.fuzztime="$time" \
      -test.fuzzminimizetime="$minimize" -test.fuzzcachedir="$cache/$pkg") >"$log" 2>&1 || { res=FAIL; status=1; }
    tail -3 "$log"
    # The last progress line: "fuzz: elapsed: 31s, execs: 123 (4/sec), new interesting: 2 (total: 9)".
    el=0 ex=0 ni=0 tot=0
    read -r el ex ni tot < <(grep '^fuzz: elapsed' "$log" | tail -1 |
      sed -nE 's/.*elapsed: ([0-9]+)s, execs: ([0-9]+) .*new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\1 \2 \3 \4/p') || true
    summary+=("$(printf '%-72s %10d execs %7d/s  new %3d (corpus %d)  %s' "$pkg $fn" "${ex:-0}" \
      $(( ${ex:-0} / (${el:-0} > 0 ? ${el:-1} : 1) )) "${ni:-0}" "${tot:-0}" "$res")")
  done
done
echo
echo "fuzz: $(date -u '+%Y-%m-%d %H:%M UTC'), $time per target, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${summary[@]}"
exit $status
