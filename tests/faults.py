"""Services a fault test owns: its own redis-server or MariaDB server on a free port, stopped,
killed and started again at will (never the shared ones); a Redis Sentinel group and a Redis
Cluster started by the operators' scripts (ops/cluster/); the app served by gunicorn. CI runs
them (as root, with redis-server and mariadb-server installed); elsewhere they are skipped when
a binary is missing."""
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pymysql
import pytest
import redis as redis_lib
import requests

REDIS_SERVER = shutil.which("redis-server")
MARIADBD = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec")
MARIADB_INSTALL_DB = shutil.which("mariadb-install-db")
IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parent.parent


def need(binary, name):
    if binary is None:
        if IN_CI:
            pytest.fail(f"{name} is missing; .ci/run installs it")
        pytest.skip(f"needs {name}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own, in memory, on a port of its own."""

    def __init__(self, directory):
        self.port, self.directory, self.process = free_port(), directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)], stdout=subprocess.DEVNULL)
        probe = redis_lib.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                probe.ping()
                return self
            except redis_lib.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class OwnMariaDB:
    """A mariadbd of the test's own: its data directory, socket and free port under
    `directory`, none of the machine's option files (--no-defaults), root without a password on
    127.0.0.1. Durable as production is: every COMMIT is written and flushed to the redo log
    before the client hears of it (innodb_flush_log_at_trx_commit=1, the doublewrite buffer
    on), so an acknowledged write must survive `crash()`."""

    def __init__(self, directory):
        self.directory, self.port, self.process = directory, free_port(), None
        self.datadir = directory / "data"

    def install(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        subprocess.run([MARIADB_INSTALL_DB, "--no-defaults", f"--datadir={self.datadir}",
                        f"--user={getpass.getuser()}", "--auth-root-authentication-method=normal",
                        "--skip-test-db"], check=True, capture_output=True)
        return self

    def start(self, timeout=30):
        """Start the server and return once it accepts connections (crash recovery done)."""
        self.process = subprocess.Popen([
            MARIADBD, "--no-defaults", f"--datadir={self.datadir}", f"--user={getpass.getuser()}",
            f"--port={self.port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
            f"--socket={self.directory / 'mariadb.sock'}",
            f"--pid-file={self.directory / 'mariadb.pid'}",
            f"--log-error={self.directory / 'error.log'}",
            "--innodb-flush-log-at-trx-commit=1", "--innodb-doublewrite=1",
            "--innodb-buffer-pool-size=64M"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test's mariadbd exited: see {self.directory}/error.log")
            try:
                self.connect().close()
                return self
            except pymysql.MySQLError:
                time.sleep(0.02)
        raise RuntimeError("the test's mariadbd did not start")

    def connect(self, database=None):
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="",
                               database=database, connect_timeout=2, autocommit=True)

    def url(self, database):
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    def shutdown(self):
        """A clean shutdown, as systemd does it (SIGTERM): connections closed, InnoDB flushed."""
        self._stop(signal.SIGTERM)

    def crash(self):
        """SIGKILL: whatever was not in the redo log on disk is gone."""
        self._stop(signal.SIGKILL)

    def _stop(self, how):
        if self.process is not None:
            self.process.send_signal(how)
            self.process.wait(60)
            self.process = None


class ScriptedRedis:
    """Redis servers started and stopped by an operators' script (ops/cluster/NAME start|stop
    DIR); what they are is in DIR/cluster.env, each server's pid in DIR/redis-PORT.pid."""

    script = ""

    def __init__(self, directory):
        self.directory, self.env = Path(directory), {}

    def start(self):
        need(REDIS_SERVER, "redis-server")
        self._run("start")
        lines = (self.directory / "cluster.env").read_text().split()
        self.env = dict(line.split("=", 1) for line in lines)
        return self

    def stop(self):
        self._run("stop")

    def _run(self, verb):
        done = subprocess.run(["bash", str(ROOT / "ops" / "cluster" / self.script), verb,
                               str(self.directory)], capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stdout + done.stderr

    def pid(self, port) -> int:
        return int((self.directory / f"redis-{port}.pid").read_text())


class SentinelGroup(ScriptedRedis):
    """A primary, a replica and 3 Sentinels (ops/cluster/redis.sh)."""

    script = "redis.sh"

    @property
    def sentinels(self):
        return [(host, int(port)) for host, port in
                (item.rsplit(":", 1) for item in self.env["REDIS_SENTINELS"].split(","))]

    def sentinel(self, n=0) -> redis_lib.Redis:
        host, port = self.sentinels[n]
        return redis_lib.Redis(host, port, socket_timeout=1, decode_responses=True)

    def primary(self) -> tuple[str, int]:
        """Where the Sentinels say the primary is (the first that answers)."""
        for n in range(len(self.sentinels)):
            try:
                host, port = self.sentinel(n).sentinel_get_master_addr_by_name(
                    self.env["REDIS_SENTINEL_MASTER"])
                return host, int(port)
            except redis_lib.RedisError:
                continue
        raise RuntimeError("no Sentinel answers")

    def failover(self):
        """SENTINEL FAILOVER: promote the replica (a planned switch)."""
        self.sentinel().execute_command("SENTINEL FAILOVER", self.env["REDIS_SENTINEL_MASTER"])

    def kill_primary(self):
        """SIGKILL the primary: the Sentinels notice after down-after-milliseconds."""
        os.kill(self.pid(self.primary()[1]), signal.SIGKILL)

    def wait_until_replicated(self, timeout=60.0):
        """Wait until the primary has a replica in sync (after a failover the demoted primary
        becomes one ~10 s later, and resyncs in full ~5 s after that)."""
        def in_sync():
            replicas = self.sentinel().sentinel_slaves(self.env["REDIS_SENTINEL_MASTER"])
            for replica in replicas:
                if replica["is_sdown"] or replica.get("master-link-status") != "ok":
                    continue
                info = redis_lib.Redis(replica["ip"], replica["port"], socket_timeout=1).info(
                    "replication")
                if info.get("master_link_status") == "up" and not info["master_sync_in_progress"]:
                    return True
            return False

        deadline = time.monotonic() + timeout
        while not in_sync():
            if time.monotonic() > deadline:
                raise RuntimeError("no replica in sync")
            time.sleep(0.1)

    def wait_for_new_primary(self, old, timeout=30.0) -> float:
        """Wait until the Sentinels name a primary other than `old` and it takes writes;
        returns when (time.monotonic())."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                address = self.primary()
                if address != old and redis_lib.Redis(*address, socket_timeout=1).info(
                        "replication")["role"] == "master":
                    return time.monotonic()
            except (redis_lib.RedisError, RuntimeError):
                pass
            time.sleep(0.02)
        raise RuntimeError(f"the Sentinels promoted no replica in {timeout} s")


class RedisClusterNodes(ScriptedRedis):
    """A 6-node Redis Cluster, 3 primaries with a replica each (ops/cluster/redis-cluster.sh)."""

    script = "redis-cluster.sh"

    def client(self, **kwargs):
        from redis.cluster import ClusterNode, RedisCluster

        nodes = [ClusterNode(host, int(port)) for host, port in
                 (item.rsplit(":", 1) for item in self.env["REDIS_CLUSTER_NODES"].split(","))]
        return RedisCluster(startup_nodes=nodes, socket_timeout=2, **kwargs)


@contextmanager
def served_app(env, log_path, workers=2, threads=4):
    """The app served by gunicorn as production serves it (README), on a free port: yields
    its base URL once /healthz answers; stopped afterwards."""
    port, log = free_port(), open(log_path, "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
         "gthread", "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
         "--graceful-timeout", "3",
         "--no-control-socket", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(lambda: requests.get(base_url + "/healthz", timeout=1).status_code == 200)
        yield base_url
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def wait_for_http(probe, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("the app server did not come up")
