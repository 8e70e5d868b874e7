#!/bin/sh
# Runs each libFuzzer binary of BUILD (default build-fuzz, see docs/fuzzing.md)
# for SECONDS (default 5) on a copy of its seed corpus, two at a time. Exits
# non-zero naming the harnesses that found something; each finding is kept in
# WORK/NAME/ (crash-*, leak-*, timeout-*, oom-*).
#   tools/fuzz.sh [SECONDS] [BUILD] [WORK]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-5}
build=${2:-build-fuzz}
work=${3:-$(mktemp -d /tmp/fidkit-fuzz.XXXXXX)}
mkdir -p "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
export FIDKIT_OFFLINE=1 FIDKIT_NO_CACHE=1
run_one() {
  n=$1
  mkdir -p "$work/$n/corpus"
  cp tests/fuzz/corpus/"$n"/* "$work/$n/corpus/"
  if (cd "$work/$n" && "$OLDPWD/$build/fuzz/fuzz_$n" -max_total_time="$secs" \
        -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$work/$n/" corpus >log 2>&1); then
    echo "fuzz_$n: clean, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$n/log" | grep -o '[0-9]*$') runs in ${secs}s"
  else
    echo "fuzz_$n: FINDING, see $work/$n/log"; return 1
  fi
}
bad=""
set -- $(ls "$build"/fuzz/ | sed -n 's/^fuzz_\(.*\)$/\1/p' | grep -v '_replay$')
[ $# -gt 0 ] || { echo "no libFuzzer binaries in $build/fuzz (configure with CC=clang -DFIDKIT_FUZZ=ON)"; exit 1; }
while [ $# -gt 0 ]; do
  a=$1; shift
  b=${1:-}; [ $# -gt 0 ] && shift
  run_one "$a" > "$work/$a.result" 2>&1 & pa=$!
  if [ -n "$b" ]; then run_one "$b" > "$work/$b.result" 2>&1 & pb=$!; fi
  wait $pa || bad="$bad $a"
  if [ -n "$b" ]; then wait $pb || bad="$bad $b"; fi
  cat "$work/$a.result"; [ -n "$b" ] && cat "$work/$b.result"
done
if [ -n "$bad" ]; then echo "findings in:$bad (kept in $work)"; exit 1; fi
