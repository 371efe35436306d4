#!/usr/bin/env bash
# bench_scan.sh — how much slower `rcwatch scan` is than the least a program
# must do (minimal_loop.c: read blocks, memchr, one JIT regex, count).
#
#   tests/bench/bench_scan.sh            # 1,000,000 kv lines, 7 runs each
#   LINES=3000000 RUNS=9 tests/bench/bench_scan.sh
#   RCWATCH=build/rcwatch tests/bench/bench_scan.sh   # use an existing build
#
# Without RCWATCH it builds rcwatch (RelWithDebInfo, the default) in
# tests/bench/out/build.  The two programs run alternately, pinned to one
# CPU when taskset works, on a file already in the page cache; it prints
# each median and the ratio rcwatch/minimal (target: at most 1.5).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
lines=${LINES:-1000000}
runs=${RUNS:-7}
out="$here/out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -z "${RCWATCH:-}" ]]; then
  cmake -S "$src" -B "$out/build" -DRCW_TESTS=OFF -DRCW_WERROR=OFF >/dev/null
  cmake --build "$out/build" -j"$(nproc)" --target rcwatch >/dev/null
  RCWATCH="$out/build/rcwatch"
fi
# shellcheck disable=SC2046  # pkg-config prints several words on purpose
cc -std=c11 -O2 -o "$out/minimal_loop" "$here/minimal_loop.c" $(pkg-config --cflags --libs libpcre2-8)

log="$tmp/bench.log"
python3 "$src/tests/tools/genlog.py" --plain --lines "$lines" --seed 1 --out "$log"
cat "$log" >/dev/null # into the page cache

pin=()
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
  pin=(taskset -c 0)
fi

# Both must count the same before their times mean anything.
read -r _ min_lines _ min_matched _ min_failures < <("${pin[@]}" "$out/minimal_loop" "$log")
"$RCWATCH" scan --parser kv --format json "$log" >"$tmp/report.json"
python3 - "$tmp/report.json" "$min_lines" "$min_matched" "$min_failures" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
got = (s["lines"]["total"], s["requests"], s["failures"])
want = tuple(int(x) for x in sys.argv[2:5])
if got != want:
    sys.exit("counts differ: rcwatch %s, minimal loop %s" % (got, want))
EOF

now_ns() { date +%s%N; }
time_one() { # prints elapsed seconds of "$@"
  local t0 t1
  t0=$(now_ns)
  "$@" >/dev/null
  t1=$(now_ns)
  echo "$(( (t1 - t0) / 1000 ))"
}

: >"$tmp/minimal.us"
: >"$tmp/rcwatch.us"
: >"$tmp/alerts.us"
rules="$here/rules10.yaml" # 4 windows, 10 rules
for ((i = 0; i < runs; i++)); do
  time_one "${pin[@]}" "$out/minimal_loop" "$log" >>"$tmp/minimal.us"
  time_one "${pin[@]}" "$RCWATCH" scan --parser kv --format json "$log" >>"$tmp/rcwatch.us"
  time_one "${pin[@]}" "$RCWATCH" scan -c "$rules" --alerts --parser kv --format json "$log" \
    >>"$tmp/alerts.us"
done

python3 - "$tmp/minimal.us" "$tmp/rcwatch.us" "$tmp/alerts.us" "$lines" "$runs" \
  "${pin[*]:-unpinned}" <<'EOF'
import statistics, sys
minimal = [int(x) / 1e6 for x in open(sys.argv[1])]
rcwatch = [int(x) / 1e6 for x in open(sys.argv[2])]
alerts = [int(x) / 1e6 for x in open(sys.argv[3])]
lines, runs, pin = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
m, r, a = statistics.median(minimal), statistics.median(rcwatch), statistics.median(alerts)
print("lines %d, %d runs each (%s)" % (lines, runs, pin))
print("minimal loop          median %.3f s  (%.0f lines/s)" % (m, lines / m))
print("rcwatch scan          median %.3f s  (%.0f lines/s)" % (r, lines / r))
print("rcwatch scan --alerts median %.3f s  (%.0f lines/s)" % (a, lines / a))
print("ratio rcwatch/minimal %.2f (target <= 1.5)" % (r / m))
print("ratio --alerts/scan   %.2f (target <= 1.15, 4 windows, 10 rules)" % (a / r))
EOF
