"""Test fixtures: one app and one database per run; each test in a transaction rolled back
at the end (indico/cosmicpython style), or — marked `committing` — with real commits and the
tables emptied afterwards (for tests with threads)."""
import tempfile
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete
from werkzeug.serving import make_server

from core import clock, config_cache
from core.config import RATE_LIMITS
from core.db import Base, db
from core.redis import get_redis
from tests import backends
from tests.factories import Factory
from tests.helpers import ApiClient, PosClient


def pytest_configure(config):
    import tempfile

    config._jifen_backends = backends.choose(tempfile.mkdtemp(prefix="jifen-test-"))


def pytest_report_header(config):
    database, redis_backend = config._jifen_backends
    return f"jifen: tests run on {database.name} + {'redis' if redis_backend else 'fakeredis'}"


@pytest.fixture(scope="session")
def backend(pytestconfig):
    database, redis_backend = pytestconfig._jifen_backends
    url, redis_url = database.create(), (redis_backend.create() if redis_backend else "")
    yield database.name, url, redis_url
    database.drop()
    if redis_backend:
        redis_backend.drop()


@pytest.fixture(scope="session")
def app(backend):
    from app import create_app

    name, url, redis_url = backend
    app = create_app({
        "TESTING": True, "DATABASE_URL": url, "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
        "WECHAT_SECRET": "test-wechat-secret",
        "WECHAT_API_BASE": "http://127.0.0.1:9",  # never the real WeChat: tests use the fake
        "METRICS_FLUSH_SECONDS": 0,  # counts a timer added later would land in the next test
        # tests move the clock across days faster than the limits' windows pass: off, but in
        # the tests of the limits (tests/core/test_limits.py sets its own)
        "RATE_LIMITS": {name: {"member": "", "address": ""} for name in RATE_LIMITS},
        "MEDIA_DIR": tempfile.mkdtemp(prefix="jifen-media-"),  # uploads, outside the checkout
        "DEMO_HISTORY_MEMBERS": 0,  # seed-demo's months of history: its own test writes some
    })
    app.config["DB_BACKEND"] = name
    with app.app_context():
        upgrade()  # the schema comes from the migrations, so they are tested on every run
    yield app
    db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolation(request, app):
    """An app context per test; a rolled-back transaction unless the test is `committing`."""
    committing = request.node.get_closest_marker("committing") is not None
    if request.node.get_closest_marker("mariadb") and app.config["DB_BACKEND"] != "mariadb":
        pytest.skip("proves a concurrency property: needs MariaDB")
    with app.app_context():
        if committing:
            yield
            _empty_tables()
        else:
            connection = db.engine.connect()
            outer = connection.begin()
            db.session.remove()
            db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
            try:
                yield
            finally:
                db.session.remove()
                db.session.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
                outer.rollback()
                connection.close()
        get_redis().flushdb()
        config_cache.clear()  # what a rolled-back test wrote must not outlive it
        clock.set(None)


def _empty_tables():
    db.session.remove()
    with db.engine.begin() as conn:
        mysql = conn.dialect.name == "mysql"
        if mysql:  # members.invited_by_id / merged_into_id point at other members
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
        if mysql:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def client(app):
    return ApiClient(app.test_client())


@pytest.fixture
def staff_client(app, factory):
    """staff_client(role="hq_admin", stores=[...]) → a client logged in as a new staff member."""

    def make(role="hq_admin", stores=()):
        staff = factory.staff(role=role, stores=stores)
        return ApiClient(app.test_client(), token=factory.staff_token(staff), staff=staff)

    return make


@pytest.fixture
def pos_client(app, factory):
    """pos_client(store) → a client that signs its requests with a new key of that store."""

    def make(store):
        key_id, secret = factory.api_key(store)
        return PosClient(app.test_client(), key_id, secret)

    return make


@pytest.fixture
def member_client(app, factory):
    """member_client(**member kwargs) → a client logged in as a new member (`.member`)."""

    def make(**kwargs):
        member = factory.member(**kwargs)
        return ApiClient(app.test_client(), token=factory.member_token(member), member=member)

    return make


@pytest.fixture
def live_server(app):
    """The app served on a free local port (threaded), for a browser or `requests`: its base
    URL. Combine with `committing`: the server's threads see only what the test committed."""
    from tests.test_nginx import free_port

    port = free_port()
    server = make_server("localhost", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def playwright():
    """Playwright's sync API, started once: it runs one instance per thread, so every browser
    a test launches (the shared `chromium`, or one with its own flags) comes from this one."""
    from tests.console.conftest import CHROMIUM, IN_CI

    if CHROMIUM is None:
        if IN_CI:
            pytest.fail(".ci/run installs chromium; it is missing")
        pytest.skip("needs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(playwright):
    """One headless Chromium (Debian's) for every browser test that needs no launch flags of
    its own: the console's and the API docs' tests share it."""
    from tests.console.conftest import CHROMIUM

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


