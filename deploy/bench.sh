#!/usr/bin/env bash
# Benchmarks quorumkv against JetStream KV and plain NATS request-reply on
# this machine, and writes BENCHMARKS.md.
#
#   deploy/bench.sh           full run (10 s a row, about 20 minutes in all
#                             with the defaults below)
#   deploy/bench.sh --quick   a second or two a row, 1 run each, small data
#                             sets; the report goes to a temp file, not
#                             BENCHMARKS.md (what CI runs)
#
# Environment: RUNS (runs of each closed-loop comparison row; default 3,
# 1 with --quick), BIG_RECORDS (records of the beyond-the-cache row;
# default 2000000 of 1 KiB, about 7 minutes of load on a 2-core machine;
# 20000 with --quick), BENCH_KEEP=1 (keep the temp dir).
#
# It builds bin/kvnode and bin/kvbench, then in turn:
#   1. 3 kvnode processes with --sync always: quorumkv put and get rows,
#      then the seed workload (YCSB a and b, 256-byte keys, 10 KiB values,
#      zipfian keys): a closed loop for the maximum, an open loop at half;
#   2. 3 fresh kvnode processes with --sync none: the same put and get
#      rows, then JetStream KV (R3, the server's default lazy fsync) and
#      echo on the same embedded NATS servers, then open-loop rows at 50%
#      and 80% of the quorumkv and JetStream maxima just measured;
#   3. 3 `kvbench natsd` processes (plain JetStream, sync_interval: always):
#      the JetStream rows again, with every write fsynced;
#   4. 3 fresh kvnode processes with --sync none: BIG_RECORDS records
#      loaded once, then uniform gets, with the size of the data dirs;
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
  dur=2s; records=2000; new_dur=1s; seed_records=300
  runs=${RUNS:-1}; big_records=${BIG_RECORDS:-20000}
  cmd="${BENCH_COMMAND:-deploy/bench.sh --quick}"
else
  dur=10s; records=10000; new_dur=10s; seed_records=10000
  runs=${RUNS:-3}; big_records=${BIG_RECORDS:-2000000}
  cmd="${BENCH_COMMAND:-deploy/bench.sh}"
fi
case "$runs" in ''|*[!0-9]*|0) echo "bench: RUNS must be a positive integer, not '$runs'" >&2; exit 2 ;; esac
case "$big_records" in ''|*[!0-9]*|0) echo "bench: BIG_RECORDS must be a positive integer, not '$big_records'" >&2; exit 2 ;; esac
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
  local ok=1 js=1
  if [ "$kind" = kvnode ]; then
    bin/kvbench wait --kind quorumkv --members 3 --servers "$servers" --timeout 60s || ok=0
    case " $* " in *" --jetstream "*) ;; *) js=0 ;; esac
  fi
  if [ "$ok" = 1 ] && [ "$js" = 1 ]; then
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

# bench_runs LABEL DURABILITY kvbench-args... runs one row $runs times; the
# runs after the first reuse the first one's load.
bench_runs() {
  local label=$1 durability=$2 i; shift 2
  bench "$label" "$durability" "$@"
  for i in $(seq 2 "$runs"); do
    bench "$label" "$durability" "$@" --load=false
  done
}

# rate_of LABEL: the result files of LABEL's runs, comma-separated, for
# --rate-of (empty when none succeeded).
rate_of() {
  local f files=""
  for f in "$work"/results/*-"$1".json; do
    [ -e "$f" ] && files="${files:+$files,}$f"
  done
  echo "$files"
}

# open_bench LABEL BASE-LABEL FRACTION DURABILITY kvbench-args... runs an
# open-loop row at FRACTION of BASE-LABEL's median throughput, with up to
# 256 requests in flight.
open_bench() {
  local label=$1 base=$2 fraction=$3 durability=$4 files; shift 4
  files=$(rate_of "$base")
  if [ -z "$files" ]; then
    echo "bench: $label skipped: no result of $base to take the rate from" >&2
    failed+=("$label"); keep_work=1
    return 0
  fi
  bench "$label" "$durability" "$@" --concurrency 256 --load=false --duration "$new_dur" \
    --rate-of "$files" --rate-fraction "$fraction"
}

qkv_rows() { # SYNC
  local s=$1 d="kvnode --sync $1"
  case "$1" in
    always) d="$d (fsync before ack, group commit)" ;;
    none) d="$d (no fsync, OS page cache)" ;;
  esac
  local q=(--target quorumkv --n 3 --namespace bench --mode lww)
  bench_runs "qkv-$s-put-c64" "$d" "${q[@]}" --workload w --concurrency 64 --r 2 --w 2
  bench_runs "qkv-$s-get-r2-c64" "$d" "${q[@]}" --workload c --concurrency 64 --r 2 --w 2 --load=false
  bench_runs "qkv-$s-get-r1-c64" "$d" "${q[@]}" --workload c --concurrency 64 --r 1 --w 2 --load=false
  bench_runs "qkv-$s-put-c1" "$d" "${q[@]}" --workload w --concurrency 1 --r 2 --w 2 --load=false
  bench_runs "qkv-$s-get-r2-c1" "$d" "${q[@]}" --workload c --concurrency 1 --r 2 --w 2 --load=false
}

js_rows() { # NAME DURABILITY
  local j=(--target jetstream --n 3)
  bench_runs "js-$1-put-c64" "$2" "${j[@]}" --workload w --concurrency 64
  bench_runs "js-$1-get-c64" "$2" "${j[@]}" --workload c --concurrency 64 --load=false
  bench_runs "js-$1-put-c1" "$2" "${j[@]}" --workload w --concurrency 1 --load=false
  bench_runs "js-$1-get-c1" "$2" "${j[@]}" --workload c --concurrency 1 --load=false
}

# seed_rows: the seed workload on the --sync always nodes, in namespace
# seed: for each of YCSB a and b, a closed loop for the maximum, then an
# open loop at half of it (one workload, a, with --quick).
seed_rows() {
  local d="kvnode --sync always (fsync before ack, group commit)" wl first=1
  local s=(--target quorumkv --n 3 --namespace seed --mode lww --r 2 --w 2 --key-size 256 --value-size 10240
    --distribution zipfian --records "$seed_records")
  local wls=(a b)
  [ "$quick" = 1 ] && wls=(a)
  for wl in "${wls[@]}"; do
    local load=(--load=false)
    [ "$first" = 1 ] && load=() && first=0
    bench "seed-$wl-max" "$d" "${s[@]}" --workload "$wl" --concurrency 64 --duration "$new_dur" "${load[@]}"
    open_bench "seed-$wl-open50" "seed-$wl-max" 0.5 "$d" "${s[@]}" --workload "$wl"
  done
}

# open_rows DURABILITY: open-loop rows at 50% and 80% of the closed-loop
# maxima of the --sync none nodes and JetStream (lazy) just measured (one
# of each system at 50% with --quick).
open_rows() {
  local d=$1 pct
  local q=(--target quorumkv --n 3 --namespace bench --mode lww --r 2 --w 2)
  local j=(--target jetstream --n 3)
  local pcts=(50 80)
  if [ "$quick" = 1 ]; then
    open_bench qkv-none-put-open50 qkv-none-put-c64 0.5 "$d" "${q[@]}" --workload w
    open_bench js-lazy-get-open50 js-lazy-get-c64 0.5 "JetStream default: fsync every 2 min (lazy)" "${j[@]}" --workload c
    return 0
  fi
  for pct in "${pcts[@]}"; do
    open_bench "qkv-none-put-open$pct" qkv-none-put-c64 "0.$pct" "$d" "${q[@]}" --workload w
    open_bench "qkv-none-get-r2-open$pct" qkv-none-get-r2-c64 "0.$pct" "$d" "${q[@]}" --workload c
    open_bench "js-lazy-put-open$pct" js-lazy-put-c64 "0.$pct" "JetStream default: fsync every 2 min (lazy)" "${j[@]}" --workload w
    open_bench "js-lazy-get-open$pct" js-lazy-get-c64 "0.$pct" "JetStream default: fsync every 2 min (lazy)" "${j[@]}" --workload c
  done
}

# 1. quorumkv, every write fsynced.
if start_cluster kvnode sync-always --jetstream --sync always; then
  qkv_rows always
  seed_rows
else
  failed+=("cluster sync-always"); keep_work=1
fi
stop_all

# 2. quorumkv without fsync; JetStream (lazy fsync) and echo on the same servers.
if start_cluster kvnode sync-none --jetstream --sync none; then
  qkv_rows none
  js_rows lazy "JetStream default: fsync every 2 min (lazy)"
  bench_runs echo-put-c64 "none (no storage)" --target echo --workload w --concurrency 64 --load=false
  bench_runs echo-get-c64 "none (no storage)" --target echo --workload c --concurrency 64 --load=false
  bench_runs echo-get-c1 "none (no storage)" --target echo --workload c --concurrency 1 --load=false
  open_rows "kvnode --sync none (no fsync, OS page cache)"
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

# 4. Beyond the cache: a fresh cluster, a data set several times the block
# and record caches, and the size of the data dirs it leaves.
if start_cluster kvnode big --sync none; then
  echo "bench: loading $big_records records for the beyond-the-cache row" >&2
  bench big-get-r2-c64 "kvnode --sync none (no fsync, OS page cache)" --target quorumkv --n 3 --namespace bench --mode lww \
    --workload c --concurrency 64 --r 2 --w 2 --records "$big_records" --duration "$new_dur" \
    --data-dirs "$work/big/n1,$work/big/n2,$work/big/n3"
else
  failed+=("cluster big"); keep_work=1
fi
stop_all

if [ "$quick" = 1 ]; then
  report=$(mktemp -t kvbench-report.XXXXXX.md)
else
  report=BENCHMARKS.md
fi
dur_text="$dur per row ($new_dur for the open-loop, seed and beyond-the-cache rows)"
setup=(
  --setup "quorumkv: 3 \`kvnode\` processes on 127.0.0.1, each embedding a NATS server, routed in a full mesh; a fresh cluster (fresh data dirs) for \`--sync always\` and another for \`--sync none\`; both with \`--jetstream\` (idle during the quorumkv rows)."
  --setup "Every row is one \`kvbench run\`: a closed loop of 64 workers (1 for the latency rows) over 3 NATS connections, one per server; $value_size-byte values; uniform keys over $records records written by the first row of each cluster (load phase, not shown); $dur_text. Puts are workload w (update only), gets workload c (read only)."
  --setup "quorumkv rows go through the Go SDK to namespace \`bench\` (N=3, mode lww), with R and W set per request as the quorum column says; puts write blind (no read before write), which lww mode allows without piling up siblings."
  --setup "JetStream KV R3 (lazy fsync): bucket \`bench\` (3 replicas, file storage) on the embedded NATS servers of the \`--sync none\` kvnode cluster, which keep nats-server's default fsync (every 2 minutes)."
  --setup "JetStream KV R3 (sync always): the same bucket on 3 \`kvbench natsd\` processes, plain nats-server (the version quorumkv embeds) with \`sync_interval: always\` (\`server.Options.SyncAlways\`), because kvnode does not expose that option. For R3 streams the server fsyncs the Raft log on every append."
  --setup "echo: plain NATS request-reply on the \`--sync none\` cluster's servers; kvbench answers with a $value_size-byte payload from a connection to the second server, the requesters use the other two. Put rows send the value, get rows the key. This is the messaging ceiling."
  --setup "Ratios use the 64-worker rows. quorumkv gets at R=2 wait for two replicas; JetStream KV gets are direct gets, answered by one replica."
  --setup "Open-loop rows (open50, open80): kvbench sends at a fixed rate, 50% or 80% of the median throughput of the row's closed-loop runs, with up to 256 requests in flight, and times each request from its due time, so a server stall shows as latency of every request due during it rather than as a lower rate."
  --setup "Seed workload (seed-*): the shape quorumkv was specified for, on the \`--sync always\` nodes in namespace \`seed\` (N=3, R=W=2, lww): 256-byte keys, 10 KiB values, $seed_records records with zipfian (0.99, scrambled) key choice, YCSB a (50% read / 50% update) and b (95/5); a 64-client closed loop for the maximum (max), then an open loop at half of it (open50)."
  --setup "Beyond the cache (big-*): a fresh \`--sync none\` cluster loaded once with $big_records records of 1 KiB by 64 clients, then uniform gets at R=2; each node's Pebble block cache is 256 MiB and its record cache 64 MiB, so that data set (about 1 KiB a record on each node) is several times the caches from about 500,000 records up (the OS page cache may still hold them). The data dirs are measured (apparent file sizes) after the load and after the gets."
  --setup "Each closed-loop comparison row ran $runs time(s) (RUNS); the tables show the median run by throughput and the spread. On a 2-vCPU VM shared with the load generator, repeated runs moved by 10-30% (more for short rows), so read a ratio within a few points of its goal as a tie. The CPU/op columns are steadier than ops/s and show where the time goes."
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
