"""Tests marked `cluster`: the app on a 3-node MariaDB Galera cluster started by
ops/cluster/galera.sh, its connections spread over the three nodes (DATABASE_URLS)."""
import tempfile

import pytest

from tests.galera import (GALERA_TX_RETRIES, Servers, connect, create_database, need_servers,
                          url, use_databases)
from tests.mall.conftest import product  # noqa: F401  (the mall's tests run here too)
from tests.tasks.conftest import at, make_task  # noqa: F401  (… and the task centre's)


@pytest.fixture(scope="session")
def galera():
    need_servers()
    servers = Servers(tempfile.mkdtemp(prefix="jifen-galera-"))
    servers.run("start")
    yield servers
    servers.run("destroy")


@pytest.fixture(scope="package", autouse=True)
def on_galera(app, galera):
    """The app's database: a fresh one on the cluster, connections to all three nodes, and
    the retries the README advises on Galera (a hot row's certification conflicts)."""
    ports = galera.node_ports()
    name = create_database(ports[0])
    retries, app.config["TX_RETRIES"] = app.config["TX_RETRIES"], GALERA_TX_RETRIES
    try:
        with use_databases(app, [url(port, name) for port in ports]):
            yield name
    finally:
        app.config["TX_RETRIES"] = retries
    with connect(ports[0]) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
