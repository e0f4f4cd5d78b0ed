"""Services a fault test owns: its own redis-server or MariaDB server on a free port, stopped,
killed and started again at will (never the shared ones). CI runs them (as root, with
redis-server and mariadb-server installed); elsewhere they are skipped when a binary is missing."""
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time

import pymysql
import pytest
import redis as redis_lib

REDIS_SERVER = shutil.which("redis-server")
MARIADBD = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec")
MARIADB_INSTALL_DB = shutil.which("mariadb-install-db")
IN_CI = os.environ.get("CI", "").lower() == "true"


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
