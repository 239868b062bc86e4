#!/usr/bin/env bash
# The hub benchmark: livecheck, the Node `ws` baseline (bench/node-baseline) and the write floor
# (src/bin/floor.rs: the same frames to the same sockets with no hub) on the same workloads, one after
# the other on this machine, measured by the same load generator (src/bin/loadgen/). With two or
# more cores, each server is pinned to core 0 and the generator to core 1 (taskset), and the fan-out
# scenarios report the server's CPU time from /proc (per delivered message, and messages per
# server CPU-second).
# Run it through `./run bench`, which builds the release binaries first. Loopback only; every scenario
# is bounded in time. Prints one line per scenario and server, then the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

SECRET=${BENCH_SECRET:-hub-benchmark-secret-0123456789abcdef}
LOADGEN=target/release/loadgen
RESULTS=$(mktemp -d /tmp/hub-bench.XXXXXX)
SCENARIOS=${BENCH_SCENARIOS:-"fanout-1000x100 fanout-5000x20 fanout-10000x10 saturate burst-10000 idle-10000 hold-19000 wire soak-10000"}
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  SERVER_CPU="taskset -c 0"; GEN_CPU="taskset -c 1"
else
  SERVER_CPU=""; GEN_CPU=""
fi
ulimit -n "$(ulimit -Hn)"

start_livecheck() { start_livecheck_bin target/release/livecheck livecheck; }
# `BENCH_SERVERS="baseline livecheck …" BENCH_BASELINE_BIN=path`: an earlier build of livecheck,
# measured in the same run as today's (see BENCHMARKS.md for how it is built).
start_baseline() { start_livecheck_bin "${BENCH_BASELINE_BIN:?set BENCH_BASELINE_BIN}" baseline; }

start_livecheck_bin() {
  local data; data=$(mktemp -d /tmp/hub-bench-data.XXXXXX)
  # Every client is the one bench user: lift the per-user socket cap and the daily budget.
  LEPTOS_SITE_ADDR=127.0.0.1:3300 LEPTOS_SITE_ROOT=target/site LIVECHECK_DATA_DIR="$data" LIVECHECK_DEMO=true \
    LIVECHECK_MAX_SOCKETS_PER_USER=100000 LIVECHECK_DAILY_BUDGET=0 LIVECHECK_TARGET_ALLOW=127.0.0.1/32 \
    LIVECHECK_JWT_SECRET="$SECRET" RUST_LOG=warn $SERVER_CPU "$1" >"$RESULTS/$2.log" 2>&1 &
  SERVER_PID=$!; ADDR=127.0.0.1:3300
  wait_for_port 3300
}

start_node() {
  PORT=3400 JWT_SECRET="$SECRET" $SERVER_CPU node bench/node-baseline/server.js >"$RESULTS/node.log" 2>&1 &
  SERVER_PID=$!; ADDR=127.0.0.1:3400
  wait_for_port 3400
}

start_floor() {
  $SERVER_CPU target/release/floor --addr 127.0.0.1:3500 >"$RESULTS/floor.log" 2>&1 &
  SERVER_PID=$!; ADDR=127.0.0.1:3500
  wait_for_port 3500
}

wait_for_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2; exit 1
}

stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }

scenario() {
  local name=$1 common="--addr $ADDR --secret $SECRET --pid $SERVER_PID" gen="$GEN_CPU $LOADGEN"
  case $name in
    fanout-1000x100) $gen fanout $common --clients 1000 --rate 100 --seconds 10 ;;
    fanout-5000x20)  $gen fanout $common --clients 5000 --rate 20 --seconds 10 ;;
    fanout-10000x10) $gen fanout $common --clients 10000 --rate 10 --seconds 10 ;;
    saturate)        $gen fanout $common --clients 1000 --rate 2000 --seconds 5 ;;
    burst-10000)     $gen burst $common --clients 10000 --concurrency 10000 ;;
    idle-10000)      $gen idle $common --clients 10000 ;;
    hold-19000)      $gen idle $common --clients 19000 ;;
    # 10 minutes: 10 000 connections follow a run of 1 event/s, 10 of them reconnect every second.
    # What each message type costs on the wire (livecheck only: the demo run and a load run).
    wire)            $gen wire $common ;;
    soak-10000)      $gen soak $common --clients 10000 --rate 1 --seconds "${BENCH_SOAK_SECONDS:-600}" --churn 10 --sample 10 --warmup 60 ;;
  esac
}

for server in ${BENCH_SERVERS:-livecheck node floor}; do
  for s in $SCENARIOS; do
    # The floor only delivers events: connect bursts and idle memory are the servers' own.
    if [ "$server" = floor ] && [[ $s != fanout-* && $s != saturate ]]; then continue; fi
    if [ "$s" = wire ] && [ "$server" != livecheck ]; then continue; fi
    # A fresh server per scenario: memory and connection figures do not carry over.
    "start_$server"
    echo "== $server $s" | tee -a "$RESULTS/out.txt"
    scenario "$s" 2>&1 | tee -a "$RESULTS/out.txt" || true
    stop_server
    sleep 1
  done
done

echo
echo "== ratios"
python3 - "$RESULTS/out.txt" <<'PY'
import re, sys
rows = {}
server = scen = None
for line in open(sys.argv[1]):
    m = re.match(r"== (\w+) (\S+)", line)
    if m:
        server, scen = m.groups(); continue
    for k, v in re.findall(r"(\w+)=([\d.]+)", line):
        rows.setdefault(scen, {}).setdefault(server, {})[k] = float(v)
keys = ("delivered_per_sec", "per_server_cpu_s", "user_us_per_msg", "sys_us_per_msg", "p99", "max",
        "kib_per_connection", "failed", "held")
for scen, by in rows.items():
    a, b, f = by.get("livecheck", {}), by.get("node", {}), by.get("floor", {})
    base = by.get("baseline", {})
    parts = [f"{k}: {a[k]:g} vs {base[k]:g} ({a[k]/base[k]:.2f}x)" for k in keys if k in a and k in base and base[k]]
    if parts:
        print(f"{scen} (livecheck vs the baseline build): " + "; ".join(parts))
    parts = []
    for k in keys:
        if k in a and k in b:
            ratio = f"{a[k]/b[k]:.2f}x" if b[k] else "n/a"
            parts.append(f"{k}: {a[k]:g} vs {b[k]:g} ({ratio})")
    print(f"{scen} (livecheck vs node): " + "; ".join(parts))
    if "per_server_cpu_s" in f:
        parts = [f"floor {f['per_server_cpu_s']:g} msgs/CPU-s"]
        for name, s in (("baseline", base), ("livecheck", a), ("node", b)):
            if s.get("per_server_cpu_s"):
                parts.append(f"{name} {s['per_server_cpu_s'] / f['per_server_cpu_s']:.2f}x of the floor")
        print(f"{scen} (efficiency vs the write floor): " + "; ".join(parts))
PY
echo "(raw output in $RESULTS)"
