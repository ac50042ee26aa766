#!/usr/bin/env bash
# Measures the sink emulator alone: rows/s (wrk + wrk_post.lua) and the emulator's CPU per row
# (utime+stime of its process from /proc/PID/stat around the wrk run, over records_received
# from GET /v2/sinks/bench/stats).
# Usage: devtools/sink_emulator/measure_wrk.sh EMULATOR_BINARY [seconds=5] [wrk args...]
# With WRK_DISTINCT=1 in the environment every request carries new _ids (see wrk_post.lua).
# Prints one line: "<binary> rows/s=<n> cpu_us_per_row=<x> cpu_s=<s> rows=<n>".
set -euo pipefail
bin=${1:?emulator binary}
secs=${2:-5}
shift $(( $# >= 2 ? 2 : 1 ))
wrk_args=("$@")
[[ ${#wrk_args[@]} -gt 0 ]] || wrk_args=(-t2 -c16)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$(mktemp); err=$(mktemp)
"$bin" --port 0 --schema "$repo/examples/flights/schema.json" --table "$repo/examples/flights/table.json" \
  >"$out" 2>"$err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out" "$err"' EXIT
for _ in $(seq 100); do [[ -s $out ]] && break; sleep 0.05; done
addr=$(head -1 "$out" | awk '{print $3}')
url="http://$addr"
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
received() { curl -s "$url/v2/sinks/bench/stats" | sed 's/.*"records_received":\([0-9]*\).*/\1/'; }
c0=$(cpu); r0=$(received)
wrk "${wrk_args[@]}" -d"${secs}s" -s "$here/wrk_post.lua" "$url" >/tmp/measure_wrk.$$ 2>&1
c1=$(cpu); r1=$(received)
rps=$(sed -n 's/.*records\/s: \([0-9]*\).*/\1/p' /tmp/measure_wrk.$$)
non2xx=$(grep -c "Non-2xx" /tmp/measure_wrk.$$ || true)
rm -f /tmp/measure_wrk.$$
rows=$((r1 - r0))
awk -v b="$(basename "$bin")" -v rps="$rps" -v c="$((c1 - c0))" -v t="$tick" -v n="$rows" -v bad="$non2xx" \
  'BEGIN { printf "%s rows/s=%s cpu_us_per_row=%.3f cpu_s=%.2f rows=%d non2xx_lines=%d\n", b, rps, c / t * 1e6 / n, c / t, n, bad }'
