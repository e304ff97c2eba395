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

# seconds prints a duration of the form 30s, 2m or 1h in seconds, or
# nothing for any other form (1m30s, a count such as 1000x).
seconds() {
  [[ $1 =~ ^([0-9]+)([smh])$ ]] || return 0
  case ${BASH_REMATCH[2]} in
    s) echo $(( 10#${BASH_REMATCH[1]} )) ;;
    m) echo $(( 10#${BASH_REMATCH[1]} * 60 )) ;;
    h) echo $(( 10#${BASH_REMATCH[1]} * 3600 )) ;;
  esac
}

# Per-target settings, where the defaults do not fit (docs/security.md,
# "How to run"). They print the time and the minimization for target $1.
target_time() {
  case $1 in
    # Before fuzzing, Go runs each of its 77 seeds, and each entry earlier
    # runs generated, in a worker to gather its coverage, at 25-50 ms an
    # input: 3-4 s of a 5 s run for the seeds alone.
    FuzzRouter) local s; s=$(seconds "$time"); [ -n "$s" ] && [ "$s" -lt 15 ] && echo 15s || echo "$time" ;;
    *) echo "$time" ;;
  esac
}
target_minimize() {
  case $1 in
    # Their inputs are signed transactions of some 2.5 KB: a cut byte breaks
    # the signature, so minimizing (quadratic in the length) ran to the cap
    # on every new input, and at the cap Go often stops the worker and
    # drops the runs from its count. 100 runs are enough for Go to drop
    # the inputs whose new coverage does not come back when run again.
    FuzzFinalizeBlock* | FuzzDecodeTx) echo "${FUZZMINIMIZETIME:-100x}" ;;
    *) echo "$minimize" ;;
  esac
}
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
    t=$(target_time "$fn") m=$(target_minimize "$fn")
    echo "== $pkg $fn ($t)"
    log="$tmp/$fn.log"
    res=PASS
    (cd "$dir" && "$bin" -test.run='^$' -test.fuzz="^${fn}\$" -test.fuzztime="$t" \
      -test.fuzzminimizetime="$m" -test.fuzzcachedir="$cache/$pkg") >"$log" 2>&1 || { res=FAIL; status=1; }
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
