#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster — and, separately, a primary with one asynchronous GTID
# replica — on 127.0.0.1, for development, CI and the benchmarks (ops/README in the repo's
# README, "Scaling"). Never touches the machine's own MariaDB (3306): every server here has
# its own datadir, socket and free ports under $JIFEN_CLUSTER_DIR and reads no option file.
#
#   ops/cluster/galera.sh start            3 Galera nodes, waits for wsrep_cluster_size = 3
#   ops/cluster/galera.sh stop             stops them (SIGTERM), keeps the datadirs
#   ops/cluster/galera.sh status           each node: port, pid, cluster size, state
#   ops/cluster/galera.sh urls             DATABASE_URLS for the app (one per node, comma-separated)
#   ops/cluster/galera.sh kill N           SIGKILL node N (1-3), as a crash would
#   ops/cluster/galera.sh start-node N     start node N again: it rejoins (IST, or SST over rsync)
#   ops/cluster/galera.sh replica start    a primary + 1 async replica (GTID), replication running
#   ops/cluster/galera.sh replica stop|status|urls
#   ops/cluster/galera.sh destroy          stop everything and delete $JIFEN_CLUSTER_DIR
#
# JIFEN_CLUSTER_DIR (default /tmp/jifen-galera) holds everything; ports are chosen free at the
# first start and kept in $JIFEN_CLUSTER_DIR/ports.env. Run as root, the servers run as the
# `mysql` user (as Debian's own does): rsync's SST daemon, started by root, would drop to
# `nobody` and fail to write the joiner's datadir. Needs mariadb-server, galera-4, rsync, socat.
set -euo pipefail

DIR=${JIFEN_CLUSTER_DIR:-/tmp/jifen-galera}
MARIADBD=${MARIADBD:-$(command -v mariadbd || echo /usr/sbin/mariadbd)}
PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
WAIT_SECONDS=${JIFEN_CLUSTER_WAIT:-90}
USER_NAME=$(id -un)
if [ "$(id -u)" = 0 ] && id mysql >/dev/null 2>&1; then USER_NAME=mysql; fi
NODES=(1 2 3)

die() { echo "galera.sh: $*" >&2; exit 1; }

free_ports() {  # N distinct free TCP ports on 127.0.0.1
  python3 - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

load_ports() {
  mkdir -p "$DIR"
  [ "$USER_NAME" = "$(id -un)" ] || chmod a+x "$DIR"  # the servers' user must reach its datadirs
  if [ ! -f "$DIR/ports.env" ]; then
    read -r -a p <<<"$(free_ports 14)"
    {
      for n in "${NODES[@]}"; do
        i=$(( (n - 1) * 4 ))
        echo "NODE${n}_PORT=${p[$i]} NODE${n}_GCOMM=${p[$((i + 1))]}"
        echo "NODE${n}_IST=${p[$((i + 2))]} NODE${n}_SST=${p[$((i + 3))]}"
      done
      echo "PRIMARY_PORT=${p[12]} REPLICA_PORT=${p[13]}"
    } >"$DIR/ports.env"
  fi
  # shellcheck disable=SC1091
  . "$DIR/ports.env"
}

port_of() { local v="NODE$1_$2"; echo "${!v}"; }

client() {  # port, SQL
  mariadb --no-defaults -uroot -h127.0.0.1 -P"$1" --connect-timeout=2 -N -B -e "$2"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_datadir() {  # datadir
  [ -d "$1/mysql" ] && return 0
  mkdir -p "$1"
  chown -R "$USER_NAME" "$(dirname "$1")" 2>/dev/null || true
  mariadb-install-db --no-defaults --datadir="$1" --user="$USER_NAME" \
    --auth-root-authentication-method=normal --skip-test-db >"$1.install.log" 2>&1 \
    || die "mariadb-install-db failed: see $1.install.log"
}

gcomm_address() {
  local out=""
  for n in "${NODES[@]}"; do out+="${out:+,}127.0.0.1:$(port_of "$n" GCOMM)"; done
  echo "gcomm://$out"
}

start_node() {  # node number, extra args...
  local n=$1; shift
  local home="$DIR/node$n"
  alive "$home/mariadb.pid" && return 0
  mkdir -p "$home/data"
  chown -R "$USER_NAME" "$home" 2>/dev/null || true
  # wsrep settings from MariaDB's "Galera cluster system requirements": ROW binlog, InnoDB,
  # interleaved auto-increment locks. Durability: a crashed node's last commits live on in the
  # other nodes (they certified them), so each node flushes its redo log once a second.
  "$MARIADBD" --no-defaults --user="$USER_NAME" --datadir="$home/data" \
    --port="$(port_of "$n" PORT)" --bind-address=127.0.0.1 --skip-name-resolve \
    --socket="$home/mariadb.sock" --pid-file="$home/mariadb.pid" --log-error="$home/error.log" \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=2 \
    --max-connections=300 --binlog-format=ROW --default-storage-engine=InnoDB \
    --innodb-autoinc-lock-mode=2 --log-bin="$home/data/binlog" --log-slave-updates=ON \
    --server-id=1 --wsrep-gtid-mode=ON --wsrep-gtid-domain-id=1 --gtid-domain-id=$((10 + n)) \
    --wsrep-on=ON --wsrep-provider="$PROVIDER" --wsrep-cluster-name=jifen \
    --wsrep-cluster-address="$(gcomm_address)" --wsrep-node-name="node$n" \
    --wsrep-node-address="127.0.0.1:$(port_of "$n" GCOMM)" \
    --wsrep-provider-options="base_port=$(port_of "$n" GCOMM);ist.recv_addr=127.0.0.1:$(port_of "$n" IST);gcache.size=128M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT5S" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$(port_of "$n" SST)" \
    --wsrep-slave-threads=2 "$@" >>"$home/stdout.log" 2>&1 &
}

wait_node_synced() {  # node number; waits until it answers and says Synced
  local n=$1 deadline=$((SECONDS + WAIT_SECONDS))
  until [ "$(client "$(port_of "$n" PORT)" \
      "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)" = "Synced" ]; do
    [ $SECONDS -lt $deadline ] || die "node $n is not Synced after ${WAIT_SECONDS}s: see $DIR/node$n/error.log"
    [ -f "$DIR/node$n/mariadb.pid" ] && ! alive "$DIR/node$n/mariadb.pid" \
      && die "node $n exited: see $DIR/node$n/error.log"
    sleep 0.2
  done
}

cluster_size() {  # as node N sees it
  client "$(port_of "$1" PORT)" "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | cut -f2
}

wait_size() {  # expected size
  local deadline=$((SECONDS + WAIT_SECONDS))
  for n in "${NODES[@]}"; do
    until [ "$(cluster_size "$n")" = "$1" ]; do
      [ $SECONDS -lt $deadline ] || die "wsrep_cluster_size is not $1 after ${WAIT_SECONDS}s"
      sleep 0.2
    done
  done
}

cmd_start() {
  load_ports
  install_datadir "$DIR/node1/data"
  local bootstrap=()
  # the first node founds the cluster, unless another node is up to join
  alive "$DIR/node2/mariadb.pid" || alive "$DIR/node3/mariadb.pid" || bootstrap=(--wsrep-new-cluster)
  if [ ${#bootstrap[@]} -gt 0 ] && [ -f "$DIR/node1/data/grastate.dat" ]; then
    sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$DIR/node1/data/grastate.dat"
  fi
  start_node 1 "${bootstrap[@]}"
  wait_node_synced 1
  for n in 2 3; do start_node "$n"; wait_node_synced "$n"; done  # one SST donor at a time
  wait_size 3
  echo "galera: 3 nodes synced, wsrep_cluster_size = 3"
  cmd_urls
}

stop_pidfile() {  # pidfile, signal
  if alive "$1"; then
    local pid; pid=$(cat "$1")
    kill "-$2" "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

cmd_stop() {
  load_ports
  for n in 3 2 1; do stop_pidfile "$DIR/node$n/mariadb.pid" TERM; done  # node 1 last: safe to bootstrap
  echo "galera: stopped"
}

cmd_status() {
  load_ports
  for n in "${NODES[@]}"; do
    local pid="-" state="down" size="-"
    if alive "$DIR/node$n/mariadb.pid"; then
      pid=$(cat "$DIR/node$n/mariadb.pid")
      state=$(client "$(port_of "$n" PORT)" "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2 || true)
      size=$(cluster_size "$n" || true)
    fi
    echo "node$n port=$(port_of "$n" PORT) pid=$pid state=${state:-starting} cluster_size=${size:--}"
  done
}

cmd_urls() {
  load_ports
  local out=""
  for n in "${NODES[@]}"; do out+="${out:+,}mysql+pymysql://root@127.0.0.1:$(port_of "$n" PORT)/\${DB}?charset=utf8mb4"; done
  echo "DATABASE_URLS=$out"
}

cmd_kill() {
  load_ports
  [[ "${1:-}" =~ ^[123]$ ]] || die "kill N: N is 1, 2 or 3"
  stop_pidfile "$DIR/node$1/mariadb.pid" KILL
  rm -f "$DIR/node$1/mariadb.pid"
  echo "galera: node $1 killed"
}

cmd_start_node() {
  load_ports
  [[ "${1:-}" =~ ^[123]$ ]] || die "start-node N: N is 1, 2 or 3"
  start_node "$1"
  wait_node_synced "$1"
  wait_size 3
  echo "galera: node $1 rejoined, wsrep_cluster_size = 3"
}

# --- primary + asynchronous replica (GTID) --------------------------------------------------

start_plain() {  # name, port, server id, extra args...
  local name=$1 port=$2 id=$3; shift 3
  local home="$DIR/$name"
  alive "$home/mariadb.pid" && return 0
  install_datadir "$home/data"
  "$MARIADBD" --no-defaults --user="$USER_NAME" --datadir="$home/data" --port="$port" \
    --bind-address=127.0.0.1 --skip-name-resolve --socket="$home/mariadb.sock" \
    --pid-file="$home/mariadb.pid" --log-error="$home/error.log" --server-id="$id" \
    --innodb-buffer-pool-size=64M --binlog-format=ROW --log-bin="$home/data/binlog" \
    --gtid-strict-mode=ON "$@" >>"$home/stdout.log" 2>&1 &
  local deadline=$((SECONDS + WAIT_SECONDS))
  until client "$port" "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$name did not start: see $home/error.log"
    sleep 0.2
  done
}

cmd_replica() {
  load_ports
  case "${1:-}" in
    start)
      start_plain primary "$PRIMARY_PORT" 101
      start_plain replica "$REPLICA_PORT" 102 --read-only=ON --log-slave-updates=ON
      if [ -z "$(client "$REPLICA_PORT" "SHOW SLAVE STATUS")" ]; then
        client "$REPLICA_PORT" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY_PORT,
          MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos,
          MASTER_CONNECT_RETRY=1"
      fi
      client "$REPLICA_PORT" "START SLAVE"
      local deadline=$((SECONDS + WAIT_SECONDS))
      until [ "$(client "$REPLICA_PORT" "SHOW GLOBAL STATUS LIKE 'Slave_running'" | cut -f2)" = ON ]; do
        [ $SECONDS -lt $deadline ] || die "the replica's IO thread is not running"
        sleep 0.2
      done
      echo "replica: primary :$PRIMARY_PORT → replica :$REPLICA_PORT, replicating (GTID)"
      cmd_replica urls ;;
    stop)
      stop_pidfile "$DIR/replica/mariadb.pid" TERM
      stop_pidfile "$DIR/primary/mariadb.pid" TERM
      echo "replica: stopped" ;;
    status)
      for name in primary replica; do
        alive "$DIR/$name/mariadb.pid" && echo "$name pid=$(cat "$DIR/$name/mariadb.pid")" \
          || echo "$name down"
      done
      alive "$DIR/replica/mariadb.pid" && mariadb --no-defaults -uroot -h127.0.0.1 \
        -P"$REPLICA_PORT" -e "SHOW SLAVE STATUS\G" \
        | grep -E "Running:|Seconds_Behind|Gtid_IO_Pos" || true ;;
    urls)
      echo "DATABASE_URL=mysql+pymysql://root@127.0.0.1:$PRIMARY_PORT/\${DB}?charset=utf8mb4"
      echo "REPORTS_DATABASE_URL=mysql+pymysql://root@127.0.0.1:$REPLICA_PORT/\${DB}?charset=utf8mb4" ;;
    *) die "replica start|stop|status|urls" ;;
  esac
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  urls) cmd_urls ;;
  kill) cmd_kill "${2:-}" ;;
  start-node) cmd_start_node "${2:-}" ;;
  replica) shift; cmd_replica "$@" ;;
  destroy) cmd_stop >/dev/null 2>&1 || true; cmd_replica stop >/dev/null 2>&1 || true
           rm -rf "$DIR"; echo "galera: $DIR removed" ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
