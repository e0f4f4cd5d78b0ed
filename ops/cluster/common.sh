# Shared by the ops/cluster scripts: free ports, waiting, stopping what a pid file names.

# free_ports N [bus]: N free TCP ports on 127.0.0.1 (with "bus": port+10000 free too, for Redis
# Cluster's bus), one a line
free_ports() {
  python3 - "$1" "${2:-}" <<'PY'
import random, socket, sys
count, bus = int(sys.argv[1]), sys.argv[2] == "bus"
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
found = []
while len(found) < count:
    port = random.randint(20000, 39999 if bus else 60999)
    if port not in found and free(port) and (not bus or free(port + 10000)):
        found.append(port)
print("\n".join(map(str, found)))
PY
}

# wait_until SECONDS COMMAND…: run COMMAND every 0.1 s until it succeeds
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out: $*" >&2; return 1; fi
    sleep 0.1
  done
}

# stop_pidfiles DIR: SIGTERM every process named by DIR/*.pid, wait for it, remove the file
stop_pidfiles() {
  local pidfile pid
  for pidfile in "$1"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}
