"""Services a fault test owns: its own redis-server on a free port, stopped and started again
at will (never the shared one). CI runs them (as root, with redis-server installed); elsewhere
they are skipped when the binary is missing."""
import os
import shutil
import socket
import subprocess
import time

import pytest
import redis as redis_lib

REDIS_SERVER = shutil.which("redis-server")
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
