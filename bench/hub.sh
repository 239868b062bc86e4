#!/usr/bin/env bash
# The hub benchmark: livecheck and the Node `ws` baseline (bench/node-baseline) on the same workloads,
# one after the other on this machine, measured by the same load generator (src/bin/loadgen.rs).
# Run it through `./run bench`, which builds the release binaries first. Loopback only; every scenario
# is bounded in time. Prints one line per scenario and server, then the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

SECRET=${BENCH_SECRET:-hub-benchmark-secret-0123456789abcdef}
LOADGEN=target/release/loadgen
RESULTS=$(mktemp -d /tmp/hub-bench.XXXXXX)
SCENARIOS=${BENCH_SCENARIOS:-"fanout-1000x100 fanout-10000x10 saturate burst-10000 idle-10000 hold-19000"}
ulimit -n "$(ulimit -Hn)"

start_livecheck() {
  local data; data=$(mktemp -d /tmp/hub-bench-data.XXXXXX)
  LEPTOS_SITE_ADDR=127.0.0.1:3300 LEPTOS_SITE_ROOT=target/site LIVECHECK_DATA_DIR="$data" LIVECHECK_DEMO=true \
    LIVECHECK_JWT_SECRET="$SECRET" RUST_LOG=warn target/release/livecheck >"$RESULTS/livecheck.log" 2>&1 &
  SERVER_PID=$!; ADDR=127.0.0.1:3300
  wait_for_port 3300
}

start_node() {
  PORT=3400 JWT_SECRET="$SECRET" node bench/node-baseline/server.js >"$RESULTS/node.log" 2>&1 &
  SERVER_PID=$!; ADDR=127.0.0.1:3400
  wait_for_port 3400
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
  local name=$1 common="--addr $ADDR --secret $SECRET"
  case $name in
    fanout-1000x100) $LOADGEN fanout $common --clients 1000 --rate 100 --seconds 10 ;;
    fanout-10000x10) $LOADGEN fanout $common --clients 10000 --rate 10 --seconds 10 ;;
    saturate)        $LOADGEN fanout $common --clients 1000 --rate 2000 --seconds 5 ;;
    burst-10000)     $LOADGEN burst $common --clients 10000 --concurrency 10000 ;;
    idle-10000)      $LOADGEN idle $common --clients 10000 --pid "$SERVER_PID" ;;
    hold-19000)      $LOADGEN idle $common --clients 19000 --pid "$SERVER_PID" ;;
  esac
}

for server in ${BENCH_SERVERS:-livecheck node}; do
  for s in $SCENARIOS; do
    # A fresh server per scenario: memory and connection figures do not carry over.
    "start_$server"
    echo "== $server $s" | tee -a "$RESULTS/out.txt"
    scenario "$s" 2>&1 | tee -a "$RESULTS/out.txt" || true
    stop_server
    sleep 1
  done
done

echo
echo "== ratios (livecheck / node)"
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
for scen, by in rows.items():
    a, b = by.get("livecheck", {}), by.get("node", {})
    parts = []
    for k in ("delivered_per_sec", "p99", "max", "kib_per_connection", "failed", "held"):
        if k in a and k in b:
            ratio = f"{a[k]/b[k]:.2f}x" if b[k] else "n/a"
            parts.append(f"{k}: {a[k]:g} vs {b[k]:g} ({ratio})")
    print(f"{scen}: " + "; ".join(parts))
PY
echo "(raw output in $RESULTS)"
