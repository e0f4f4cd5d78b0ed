#!/usr/bin/env bash
# Redis with automatic failover on one host: a primary, a replica and 3 Sentinels, each on a
# free port with its own folder, in memory (--save "" --appendonly no).
#
#   ops/cluster/redis.sh start [DIR]   # DIR: instance/redis-sentinel by default
#   ops/cluster/redis.sh stop [DIR]
#
# `start` waits until the 3 Sentinels see the primary, its replica and each other, and writes
# DIR/cluster.env for the app and the worker (source it, or copy the lines into the service's
# environment):
#   REDIS_SENTINELS=127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3  REDIS_SENTINEL_MASTER=jifen
# Each server's pid is in DIR/redis-PORT.pid (DIR/sentinel-PORT.pid), its log beside it.
# REDIS_DOWN_AFTER_MS (default 1000): how long the primary may be silent before the Sentinels
# call it down and promote the replica. Never touches the Redis on 6379.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
dir="$(mkdir -p "${2:-$here/../../instance/redis-sentinel}" && cd "${2:-$here/../../instance/redis-sentinel}" && pwd)"
service="${REDIS_SENTINEL_MASTER:-jifen}"
down_after="${REDIS_DOWN_AFTER_MS:-1000}"
if command -v redis-sentinel >/dev/null; then sentinel=(redis-sentinel); else sentinel=(redis-server); fi

data_node() {  # port [replicaof-port]
  local port=$1 node="$dir/redis-$1"
  mkdir -p "$node"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$node" \
    --daemonize yes --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log" \
    ${2:+--replicaof 127.0.0.1 "$2"}
  wait_until 10 redis-cli -p "$port" ping
}

sentinel_node() {  # port primary-port
  local port=$1 conf="$dir/sentinel-$1.conf"
  cat > "$conf" <<CONF
port $port
bind 127.0.0.1
daemonize yes
pidfile $dir/sentinel-$port.pid
logfile $dir/sentinel-$port.log
dir $dir
sentinel monitor $service 127.0.0.1 $2 2
sentinel down-after-milliseconds $service $down_after
sentinel failover-timeout $service $(( down_after * 4 > 3000 ? down_after * 4 : 3000 ))
sentinel parallel-syncs $service 1
CONF
  if [ "${sentinel[0]}" = redis-server ]; then "${sentinel[@]}" "$conf" --sentinel; else "${sentinel[@]}" "$conf"; fi
}

sentinels_agree() {  # every Sentinel sees 1 replica and 2 other Sentinels
  local port info
  for port in "$@"; do
    info="$(redis-cli -p "$port" sentinel master "$service" | paste - - | tr '\t' ' ')"
    grep -q "^num-slaves 1$" <<<"$info" && grep -q "^num-other-sentinels 2$" <<<"$info" || return 1
  done
}

start() {
  if ls "$dir"/*.pid >/dev/null 2>&1; then echo "already running in $dir (stop it first)" >&2; exit 1; fi
  mapfile -t ports < <(free_ports 5)
  local primary=${ports[0]} replica=${ports[1]} sentinel_ports=("${ports[@]:2}")
  data_node "$primary"
  data_node "$replica" "$primary"
  wait_until 10 bash -c "redis-cli -p $replica info replication | grep -q 'master_link_status:up'"
  for port in "${sentinel_ports[@]}"; do sentinel_node "$port" "$primary"; done
  wait_until 30 sentinels_agree "${sentinel_ports[@]}"
  local list; list="$(printf '127.0.0.1:%s,' "${sentinel_ports[@]}")"
  printf 'REDIS_SENTINELS=%s\nREDIS_SENTINEL_MASTER=%s\n' "${list%,}" "$service" > "$dir/cluster.env"
  echo "Redis primary 127.0.0.1:$primary, replica 127.0.0.1:$replica, Sentinels ${list%,} ($dir)"
  cat "$dir/cluster.env"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pidfiles "$dir"; rm -f "$dir/cluster.env"; echo "stopped ($dir)" ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
