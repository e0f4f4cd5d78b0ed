"""The servers of ops/cluster/galera.sh, for tests and benchmarks: a 3-node Galera cluster and a
primary with an asynchronous replica, each in a directory of its own, on free ports (never the
shared MariaDB). CI (CI=true) runs them; elsewhere they are skipped when mariadbd or the Galera
library is missing.

`use_databases(app, ...)` points the app's engines at them for a block: the schema comes from
the migrations, and the app's own database comes back afterwards."""
import os
import re
import shutil
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pymysql
import pytest
from flask_migrate import upgrade

from core.db import db

SCRIPT = Path(__file__).resolve().parent.parent / "ops" / "cluster" / "galera.sh"
GALERA = "/usr/lib/galera/libgalera_smm.so"
IN_CI = os.environ.get("CI", "").lower() == "true"
#: TX_RETRIES on a cluster (README, "Scaling"): three nodes' transactions on one hot row (a
#: product's stock, a member's account) fail certification more often than they deadlock
GALERA_TX_RETRIES = 12


def need_servers():
    missing = [name for name, ok in (
        ("mariadbd", shutil.which("mariadbd") or os.path.exists("/usr/sbin/mariadbd")),
        ("galera-4", os.path.exists(GALERA)), ("rsync", shutil.which("rsync")),
        ("socat", shutil.which("socat"))) if not ok]
    if missing:
        if IN_CI:
            pytest.fail(f"{', '.join(missing)} missing; .ci/run installs them")
        pytest.skip(f"needs {', '.join(missing)}")


class Servers:
    """galera.sh with JIFEN_CLUSTER_DIR = `directory`."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.env = {**os.environ, "JIFEN_CLUSTER_DIR": str(self.directory)}

    def run(self, *args, timeout=180) -> str:
        done = subprocess.run([str(SCRIPT), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"galera.sh {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def ports(self) -> dict[str, int]:
        text = (self.directory / "ports.env").read_text()
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", text)}

    def node_ports(self) -> list[int]:
        ports = self.ports()
        return [ports[f"NODE{n}_PORT"] for n in (1, 2, 3)]


def url(port: int, database: str) -> str:
    return f"mysql+pymysql://root@127.0.0.1:{port}/{database}?charset=utf8mb4"


def connect(port: int, database=None):
    return pymysql.connect(host="127.0.0.1", port=port, user="root", password="",
                           database=database, connect_timeout=3, autocommit=True)


def create_database(port: int) -> str:
    name = f"jifen_test_{uuid.uuid4().hex[:10]}"
    with connect(port) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    return name


@contextmanager
def use_databases(app, urls: list[str], reports_url: str | None = None):
    """The app's engine over `urls` (one: a plain engine; several: spread over the nodes) and
    its reports engine on `reports_url`, migrated, for the block."""
    saved = {k: app.config.get(k) for k in ("DATABASE_URL", "DATABASE_URLS",
                                            "REPORTS_DATABASE_URL", "DB_BACKEND")}
    engine, reports_engine = db.engine, db.reports_engine
    app.config.update(DATABASE_URL=urls[0], DATABASE_URLS=urls, REPORTS_DATABASE_URL=reports_url,
                      DB_BACKEND="mariadb")
    db.use(app.config)
    try:
        with app.app_context():
            upgrade()
        yield
    finally:
        db.session.remove()
        db.engine.dispose()
        if db.reports_engine is not None:
            db.reports_engine.dispose()
        app.config.update(saved)
        db.engine, db.reports_engine = engine, reports_engine
        db.session.configure(bind=engine)
        db.reports_sessions.configure(bind=reports_engine)
