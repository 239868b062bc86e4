#!/usr/bin/env bash
# The load-engine benchmark: livecheck's load engine and wrk (Debian package) against the same local
# target (src/bin/bench-target.rs), alternating in one run so both see the same machine. Run it
# through `./run bench load`, which builds the release binaries first and installs wrk if missing.
# Loopback only; every measurement is bounded in time (BENCH_SECONDS, default 10).
#
# For each tool and round it prints requests/s and the CPU seconds the tool itself used (user + sys),
# then the ratios: throughput (livecheck / wrk) and requests per CPU-second.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
PORT=${BENCH_PORT:-3500}
WORK=$(mktemp -d /tmp/load-bench.XXXXXX)

target/release/bench-target "127.0.0.1:$PORT" >"$WORK/target.log" 2>&1 &
TARGET_PID=$!
trap 'kill $TARGET_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

cat >"$WORK/suite.yaml" <<SUITE
name: Load benchmark
load:
  users: $CONNECTIONS
  duration: ${SECONDS_PER_RUN}s
  thresholds: ["error_rate < 1%"]
steps:
  - url: http://127.0.0.1:$PORT/
    checks: { status: 200 }
SUITE

# CPU seconds (user + sys) of a finished tool, as GNU time recorded them.
cpu_of() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }

run_wrk() {
  /usr/bin/time -f "%U %S" -o "$WORK/wrk.time" \
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$PORT/" >"$WORK/wrk.out"
  local rps; rps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.out")
  echo "$rps $(cpu_of "$WORK/wrk.time")"
}

run_livecheck() {
  /usr/bin/time -f "%U %S" -o "$WORK/lc.time" \
    target/release/livecheck run "$WORK/suite.yaml" --json "$WORK/lc.json" >"$WORK/lc.out"
  local rps; rps=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["load_summary"]["rps"], 1))' "$WORK/lc.json")
  echo "$rps $(cpu_of "$WORK/lc.time")"
}

printf '%-6s %-10s %12s %10s %14s\n' round tool "requests/s" "cpu s" "requests/cpu-s"
: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
  for tool in wrk livecheck; do
    read -r rps cpu < <("run_$tool")
    per_cpu=$(awk -v r="$rps" -v c="$cpu" -v s="$SECONDS_PER_RUN" 'BEGIN { printf "%.0f", (c > 0) ? r * s / c : 0 }')
    printf '%-6s %-10s %12s %10s %14s\n' "$round" "$tool" "$rps" "$cpu" "$per_cpu"
    echo "$tool $rps $cpu $per_cpu" >>"$WORK/results"
    sleep 1
  done
done
awk '
  { n[$1]++; rps[$1] += $2; per[$1] += $4 }
  END {
    printf "\nmean requests/s: wrk %.0f, livecheck %.0f -> livecheck/wrk = %.2f\n",
      rps["wrk"]/n["wrk"], rps["livecheck"]/n["livecheck"], (rps["livecheck"]/n["livecheck"]) / (rps["wrk"]/n["wrk"])
    printf "mean requests per CPU-second of the tool: wrk %.0f, livecheck %.0f -> livecheck/wrk = %.2f\n",
      per["wrk"]/n["wrk"], per["livecheck"]/n["livecheck"], (per["livecheck"]/n["livecheck"]) / (per["wrk"]/n["wrk"])
  }' "$WORK/results"
