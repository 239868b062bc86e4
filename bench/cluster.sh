#!/usr/bin/env bash
# The cluster benchmark (issue 12): the same fan-out measured by the same load generator on
#   single        one node, no Redis: the run and its clients on node A;
#   single+redis  one node with Redis: the same, plus every event through the Lua script to Redis;
#   across        two nodes and Redis: the run on node A, every client on node B;
# for two workloads: fan-out (500 clients × 100 events/s) and event rate (10 clients × 2 000/s).
# Each row reports delivered messages per CPU-second of all the server processes together (the
# nodes and Redis, from /proc), the publish→receive latency, and the CPU per event. The servers
# share core 0 and the generator has core 1 (taskset). Loopback only, bounded in time.
# Run it through `./run bench cluster`, which builds the release binaries first.
set -euo pipefail
cd "$(dirname "$0")/.."

SECRET=${BENCH_SECRET:-cluster-benchmark-secret-0123456789abcdef}
LOADGEN=target/release/loadgen
RESULTS=$(mktemp -d /tmp/cluster-bench.XXXXXX)
# 500 × 100/s: 50 000 messages/s, within what the generator reads on its core (about 12 µs each).
CLIENTS=${BENCH_CLIENTS:-500}
RATE=${BENCH_RATE:-100}
SECONDS_=${BENCH_SECONDS:-10}
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  SERVER_CPU="taskset -c 0"; GEN_CPU="taskset -c 1"
else
  SERVER_CPU=""; GEN_CPU=""
fi
ulimit -n "$(ulimit -Hn)"
log() { printf '==> %s\n' "$*" >&2; }
ensure_debian_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
      apt-get install -y --no-install-recommends "$p" >/dev/null
  done
}
# shellcheck source=tests/services.sh
. tests/services.sh
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  stop_services
}
trap cleanup EXIT

wait_for_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2; exit 1
}

# start_node PORT DATA [REDIS_URL]: a node on 127.0.0.1:PORT over DATA; prints its pid.
start_node() {
  local port=$1 data=$2 redis=${3:-}
  env LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site LIVECHECK_DATA_DIR="$data" \
    LIVECHECK_DEMO=true LIVECHECK_MAX_SOCKETS_PER_USER=100000 LIVECHECK_DAILY_BUDGET=0 \
    LIVECHECK_JWT_SECRET="$SECRET" ${redis:+LIVECHECK_REDIS_URL=$redis} RUST_LOG=warn \
    $SERVER_CPU target/release/livecheck >"$RESULTS/node-$port.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$port"
}

fanout() {
  $GEN_CPU $LOADGEN fanout --secret "$SECRET" --clients "$CLIENTS" --rate "$RATE" --seconds "$SECONDS_" "$@"
}

start_redis
REDIS_PID=$(cat "${SERVICE_DIRS[-1]}/pid")
# Redis shares the servers' core.
[ -n "$SERVER_CPU" ] && taskset -cp 0 "$REDIS_PID" >/dev/null

# utime + stime of a process, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_scenario() {
  local name=$1; shift
  echo "== $name" | tee -a "$RESULTS/out.txt"
  local redis_before; redis_before=$(ticks "$REDIS_PID")
  # Not in a pipeline: the nodes it starts are this shell's, to stop below.
  "$@" >"$RESULTS/$name.txt" 2>&1 || true
  echo "redis redis_cpu_s=$(( $(ticks "$REDIS_PID") - redis_before ))e-2" >>"$RESULTS/$name.txt"
  tee -a "$RESULTS/out.txt" <"$RESULTS/$name.txt"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
  sleep 1
}

scenario_single() {
  local data; data=$(mktemp -d /tmp/cluster-bench-data.XXXXXX)
  start_node 3600 "$data"
  fanout --addr 127.0.0.1:3600 --pid "${PIDS[0]}"
}

scenario_single_redis() {
  local data; data=$(mktemp -d /tmp/cluster-bench-data.XXXXXX)
  start_node 3600 "$data" "$REDIS_URL"
  fanout --addr 127.0.0.1:3600 --pid "${PIDS[0]},$REDIS_PID"
}

scenario_across() {
  local data; data=$(mktemp -d /tmp/cluster-bench-data.XXXXXX)
  start_node 3600 "$data" "$REDIS_URL"
  start_node 3601 "$data" "$REDIS_URL"
  fanout --addr 127.0.0.1:3601 --start-addr 127.0.0.1:3600 --pid "${PIDS[0]},${PIDS[1]},$REDIS_PID"
}

# Two workloads: fan-out (many clients, few events) and event rate (few clients, many events:
# what the Redis hop costs per event shows there).
for workload in "fanout $CLIENTS $RATE" "events 10 2000"; do
  read -r wname CLIENTS RATE <<<"$workload"
  run_scenario "$wname-single" scenario_single
  run_scenario "$wname-single+redis" scenario_single_redis
  run_scenario "$wname-across" scenario_across
done
rm -rf /tmp/cluster-bench-data.*
echo "(raw output in $RESULTS)"
