#!/usr/bin/env bash
# Starts (or stops) a three-node quorumkv cluster on this machine:
#   node   client port   route port   http (metrics)
#   n1     4222          6222         8081
#   n2     4223          6223         8082
#   n3     4224          6224         8083
# Data and logs live in .cluster/<node>/. Needs bin/kvnode (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cluster
routes="nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224"

start() {
  mkdir -p "$dir"
  for i in 1 2 3; do
    name="n$i"
    if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
      echo "$name already running"; continue
    fi
    mkdir -p "$dir/$name"
    bin/kvnode --name "$name" --data-dir "$dir/$name/data" \
      --listen "127.0.0.1:$((4221 + i))" --cluster-listen "127.0.0.1:$((6221 + i))" \
      --http-listen "127.0.0.1:$((8080 + i))" --join "$routes" ${KVNODE_EXTRA:-} \
      >>"$dir/$name/kvnode.log" 2>&1 &
    echo $! >"$dir/$name.pid"
    echo "started $name (pid $!, nats://127.0.0.1:$((4221 + i)))"
  done
  for _ in $(seq 1 100); do
    if bin/kvcli --server nats://127.0.0.1:4222 status 2>/dev/null | grep -c ' up ' | grep -q 3; then
      bin/kvcli --server nats://127.0.0.1:4222 status
      return 0
    fi
    sleep 0.2
  done
  echo "cluster did not report 3 members up; see $dir/*/kvnode.log" >&2
  return 1
}

stop() {
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    # Wait for a clean exit, so a restart finds the data dir unlocked.
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
  echo "stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
