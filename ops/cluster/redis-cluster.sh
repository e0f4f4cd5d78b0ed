#!/usr/bin/env bash
# A 6-node Redis Cluster on one host (3 primaries, each with a replica), in memory: to prove
# the app's own keys, Lua scripts and pipelines run on Redis Cluster (RQ does not: it stays on
# Sentinel, see README "Redis failover").
#
#   ops/cluster/redis-cluster.sh start [DIR]   # DIR: instance/redis-cluster by default
#   ops/cluster/redis-cluster.sh stop [DIR]
#
# `start` creates the cluster (redis-cli --cluster create … --cluster-replicas 1), waits until
# every node says cluster_state:ok, and writes DIR/cluster.env:
#   REDIS_CLUSTER_NODES=127.0.0.1:P1,…,127.0.0.1:P6
# Each node's pid is in DIR/redis-PORT.pid, its log beside it. Never touches the Redis on 6379.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
dir="$(mkdir -p "${2:-$here/../../instance/redis-cluster}" && cd "${2:-$here/../../instance/redis-cluster}" && pwd)"

cluster_ok() {
  local port
  for port in "$@"; do
    redis-cli -p "$port" cluster info | grep -q "cluster_state:ok" || return 1
  done
}

start() {
  if ls "$dir"/*.pid >/dev/null 2>&1; then echo "already running in $dir (stop it first)" >&2; exit 1; fi
  mapfile -t ports < <(free_ports 6 bus)
  for port in "${ports[@]}"; do
    mkdir -p "$dir/redis-$port"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
      --dir "$dir/redis-$port" --daemonize yes --pidfile "$dir/redis-$port.pid" \
      --logfile "$dir/redis-$port.log"
  done
  for port in "${ports[@]}"; do wait_until 10 redis-cli -p "$port" ping; done
  redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") \
    --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  wait_until 30 cluster_ok "${ports[@]}"
  local list; list="$(printf '127.0.0.1:%s,' "${ports[@]}")"
  printf 'REDIS_CLUSTER_NODES=%s\n' "${list%,}" > "$dir/cluster.env"
  echo "Redis Cluster of 6 nodes ($dir):"
  cat "$dir/cluster.env"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pidfiles "$dir"; rm -f "$dir/cluster.env"; echo "stopped ($dir)" ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
