#!/usr/bin/env bash
# Benchmarks quorumkv against JetStream KV and plain NATS request-reply on
# this machine, and writes BENCHMARKS.md.
#
#   deploy/bench.sh           full run (10 s a row, about 4 minutes in all)
#   deploy/bench.sh --quick   a few seconds a row; the report goes to a temp
#                             file, not BENCHMARKS.md (what CI runs)
#
# It builds bin/kvnode and bin/kvbench, then in turn:
#   1. 3 kvnode processes with --sync always: quorumkv put and get rows;
#   2. 3 fresh kvnode processes with --sync none: the same rows, then
#      JetStream KV (R3, the server's default lazy fsync) and echo on the
#      same embedded NATS servers;
#   3. 3 `kvbench natsd` processes (plain JetStream, sync_interval: always):
#      the JetStream rows again, with every write fsynced;
# and renders every result with `kvbench report`. Everything listens on
# 127.0.0.1 ports picked free at start, in its own temp dir, and every
# process it starts is stopped on exit.
#
# It exits non-zero only when the tool is broken: a run that fails to set
# up or has no successful operation. A slow figure is never a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

if [ "$quick" = 1 ]; then
  dur=3s; records=2000
  cmd="${BENCH_COMMAND:-deploy/bench.sh --quick}"
else
  dur=10s; records=10000
  cmd="${BENCH_COMMAND:-deploy/bench.sh}"
fi
value_size=1024
started=$(date +%s)

make --no-print-directory build >/dev/null

work=$(mktemp -d -t kvbench.XXXXXX)
mkdir -p "$work/results"
pids=()
keep_work=${BENCH_KEEP:-0} # BENCH_KEEP=1 keeps the temp dir (logs, results)

# stop_all stops every process still running that this script started:
# SIGTERM, up to 10 s to exit cleanly, then SIGKILL.
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

cleanup() {
  stop_all
  if [ "$keep_work" = 1 ]; then
    echo "bench: logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports, below the usual ephemeral range (32768+).
next_port=$((20000 + RANDOM % 10000))
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alloc_port() {
  while ! port_free "$next_port"; do next_port=$((next_port + 1)); done
  port=$next_port
  next_port=$((next_port + 1))
}

# start_cluster KIND NAME [args...] starts three servers: KIND is kvnode or
# natsd; the args go to each. It sets servers to their client URLs and
# server_pids to their pids.
start_cluster() {
  local kind=$1 name=$2; shift 2
  local dir="$work/$name" cports=() rports=() routes="" i
  mkdir -p "$dir"
  for i in 1 2 3; do
    alloc_port; cports+=("$port")
    alloc_port; rports+=("$port")
    routes="${routes:+$routes,}nats://127.0.0.1:$port"
  done
  servers=""; server_pids=""
  for i in 0 1 2; do
    local n=$((i + 1)) listen="127.0.0.1:${cports[$i]}" clisten="127.0.0.1:${rports[$i]}"
    servers="${servers:+$servers,}nats://$listen"
    if [ "$kind" = kvnode ]; then
      bin/kvnode --name "n$n" --data-dir "$dir/n$n" --listen "$listen" --cluster-listen "$clisten" \
        --join "$routes" --log-level warn "$@" >"$dir/n$n.log" 2>&1 &
    else
      bin/kvbench natsd --name "js$n" --store-dir "$dir/js$n" --listen "$listen" --cluster-listen "$clisten" \
        --join "$routes" "$@" >"$dir/js$n.log" 2>&1 &
    fi
    pids+=($!)
    server_pids="${server_pids:+$server_pids,}$!"
  done
  local ok=1
  if [ "$kind" = kvnode ]; then
    bin/kvbench wait --kind quorumkv --members 3 --servers "$servers" --timeout 60s || ok=0
  fi
  if [ "$ok" = 1 ]; then
    bin/kvbench wait --kind jetstream --servers "$servers" --timeout 60s || ok=0
  fi
  if [ "$ok" = 0 ]; then
    echo "bench: cluster $name did not come up; last log lines:" >&2
    tail -n 20 "$dir"/*.log >&2 || true
    return 1
  fi
  echo "bench: cluster $name up at $servers" >&2
}

failed=()
row=0

# bench LABEL DURABILITY kvbench-args... runs one row into results/.
bench() {
  local label=$1 durability=$2; shift 2
  row=$((row + 1))
  local out
  out="$work/results/$(printf '%02d' "$row")-$label.json"
  echo "" >&2
  echo "== $label ($durability)" >&2
  if ! bin/kvbench run --servers "$servers" --duration "$dur" --records "$records" --value-size "$value_size" \
    --label "$label" --durability "$durability" --server-pids "$server_pids" --json "$@" >"$out.tmp"; then
    echo "bench: $label FAILED" >&2
    failed+=("$label")
    keep_work=1
    rm -f "$out.tmp"
    return 0
  fi
  mv "$out.tmp" "$out"
}

qkv_rows() { # SYNC
  local s=$1 d="kvnode --sync $1"
  case "$1" in
    always) d="$d (fsync before ack, group commit)" ;;
    none) d="$d (no fsync, OS page cache)" ;;
  esac
  local q=(--target quorumkv --n 3 --namespace bench --mode lww)
  bench "qkv-$s-put-c64" "$d" "${q[@]}" --workload w --concurrency 64 --r 2 --w 2
  bench "qkv-$s-get-r2-c64" "$d" "${q[@]}" --workload c --concurrency 64 --r 2 --w 2 --load=false
  bench "qkv-$s-get-r1-c64" "$d" "${q[@]}" --workload c --concurrency 64 --r 1 --w 2 --load=false
  bench "qkv-$s-put-c1" "$d" "${q[@]}" --workload w --concurrency 1 --r 2 --w 2 --load=false
  bench "qkv-$s-get-r2-c1" "$d" "${q[@]}" --workload c --concurrency 1 --r 2 --w 2 --load=false
}

js_rows() { # NAME DURABILITY
  local j=(--target jetstream --n 3)
  bench "js-$1-put-c64" "$2" "${j[@]}" --workload w --concurrency 64
  bench "js-$1-get-c64" "$2" "${j[@]}" --workload c --concurrency 64 --load=false
  bench "js-$1-put-c1" "$2" "${j[@]}" --workload w --concurrency 1 --load=false
  bench "js-$1-get-c1" "$2" "${j[@]}" --workload c --concurrency 1 --load=false
}

# 1. quorumkv, every write fsynced.
if start_cluster kvnode sync-always --jetstream --sync always; then
  qkv_rows always
else
  failed+=("cluster sync-always"); keep_work=1
fi
stop_all

# 2. quorumkv without fsync; JetStream (lazy fsync) and echo on the same servers.
if start_cluster kvnode sync-none --jetstream --sync none; then
  qkv_rows none
  js_rows lazy "JetStream default: fsync every 2 min (lazy)"
  bench echo-put-c64 "none (no storage)" --target echo --workload w --concurrency 64 --load=false
  bench echo-get-c64 "none (no storage)" --target echo --workload c --concurrency 64 --load=false
  bench echo-get-c1 "none (no storage)" --target echo --workload c --concurrency 1 --load=false
else
  failed+=("cluster sync-none"); keep_work=1
fi
stop_all

# 3. JetStream with every write fsynced, on plain JetStream servers.
if start_cluster natsd js-sync-always --sync always; then
  js_rows always "JetStream sync_interval: always (fsync each write)"
else
  failed+=("cluster js-sync-always"); keep_work=1
fi
stop_all

if [ "$quick" = 1 ]; then
  report=$(mktemp -t kvbench-report.XXXXXX.md)
else
  report=BENCHMARKS.md
fi
dur_text="$dur per row"
setup=(
  --setup "quorumkv: 3 \`kvnode\` processes on 127.0.0.1, each embedding a NATS server, routed in a full mesh; a fresh cluster (fresh data dirs) for \`--sync always\` and another for \`--sync none\`; both with \`--jetstream\` (idle during the quorumkv rows)."
  --setup "Every row is one \`kvbench run\`: a closed loop of 64 workers (1 for the latency rows) over 3 NATS connections, one per server; $value_size-byte values; uniform keys over $records records written by the first row of each cluster (load phase, not shown); $dur_text. Puts are workload w (update only), gets workload c (read only)."
  --setup "quorumkv rows go through the Go SDK to namespace \`bench\` (N=3, mode lww), with R and W set per request as the quorum column says; puts write blind (no read before write), which lww mode allows without piling up siblings."
  --setup "JetStream KV R3 (lazy fsync): bucket \`bench\` (3 replicas, file storage) on the embedded NATS servers of the \`--sync none\` kvnode cluster, which keep nats-server's default fsync (every 2 minutes)."
  --setup "JetStream KV R3 (sync always): the same bucket on 3 \`kvbench natsd\` processes, plain nats-server (the version quorumkv embeds) with \`sync_interval: always\` (\`server.Options.SyncAlways\`), because kvnode does not expose that option. For R3 streams the server fsyncs the Raft log on every append."
  --setup "echo: plain NATS request-reply on the \`--sync none\` cluster's servers; kvbench answers with a $value_size-byte payload from a connection to the second server, the requesters use the other two. Put rows send the value, get rows the key. This is the messaging ceiling."
  --setup "Ratios use the 64-worker rows. quorumkv gets at R=2 wait for two replicas; JetStream KV gets are direct gets, answered by one replica."
  --setup "One run per row, on a 2-vCPU VM shared with the load generator: repeated runs moved by 10-30% (more for short rows), so read a ratio within a few points of its goal as a tie. The CPU/op columns are steadier than ops/s and show where the time goes."
)
results=("$work"/results/*.json)
if [ ! -e "${results[0]}" ]; then
  echo "bench: no run produced a result" >&2
  exit 1
fi
bin/kvbench report --out "$report" --command "$cmd" --notes docs/bench-notes.md "${setup[@]}" "${results[@]}"
elapsed=$(($(date +%s) - started))

echo "" >&2
if [ "$quick" = 1 ]; then
  cat "$report"
  echo "" >&2
fi
echo "bench: report written to $report (${elapsed}s)" >&2
if [ "${#failed[@]}" -gt 0 ]; then
  echo "bench: FAILED: ${failed[*]}" >&2
  exit 1
fi
