"""Programme configuration is cached in each process; a change is seen by the next request, in
this process and (through the generation in Redis) in every other one."""
import uuid
from contextlib import contextmanager

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import update

from core import config_cache
from core.db import db, run_in_transaction
from core.redis import get_redis, rkey
from points.programme import settings
from points.programme.models import ProgrammeSetting
from tests.core.test_errors import assert_error

pytestmark = pytest.mark.committing


@pytest.fixture
def pos(factory, pos_client):
    return pos_client(factory.store("CFG01"))


def _key_cached(pos):
    """Requests until this process holds the key (the first one follows the key's creation,
    which that transaction reads from the database), as a busy till's requests find it."""
    for _ in range(2):
        assert pos.post("/pos/ping", {"store_code": "CFG01"}).status_code == 200
    assert config_cache.peek(f"pos-key:{pos.key_id}") is not None


def _earn_rate():
    return run_in_transaction(lambda: settings.get_settings()["earn"]["points_per_yuan"])


def _set_rate_elsewhere(rate, *, announce=True):
    """What another process does: commit the change, then bump the generation."""
    with db.engine.begin() as conn:
        conn.execute(update(ProgrammeSetting).where(ProgrammeSetting.section == "earn")
                     .values(value={"points_per_yuan": rate}))
    if announce:
        get_redis().incr(rkey("config-generation"))


@contextmanager
def _fresh_request(app):
    """A new request, as a server runs it: its own app context (g) and request."""
    with app.app_context(), app.test_request_context():
        yield


def test_a_key_revoked_after_use_is_refused_by_the_next_request(pos, staff_client):
    _key_cached(pos)
    admin = staff_client("hq_admin")
    assert admin.delete(f"/admin/stores/CFG01/api-keys/{pos.key_id}").status_code == 200
    assert_error(pos.post("/pos/ping", {"store_code": "CFG01"}), 401, "unauthenticated")


def test_a_deactivated_store_s_key_is_refused_by_the_next_request(pos, staff_client):
    _key_cached(pos)
    assert staff_client("hq_admin").delete("/admin/stores/CFG01").status_code in (200, 204)
    assert_error(pos.post("/pos/ping", {"store_code": "CFG01"}), 401, "unauthenticated")


def test_a_key_another_process_revoked_is_refused_by_the_next_request(pos):
    from stores.models import ApiKey

    _key_cached(pos)
    with db.engine.begin() as conn:  # what the admin's request did on another app server
        conn.execute(update(ApiKey).where(ApiKey.key_id == pos.key_id).values(active=False))
    get_redis().incr(rkey("config-generation"))
    error = assert_error(pos.post("/pos/ping", {"store_code": "CFG01"}), 401, "unauthenticated")
    assert "revoked" in error["message"]


def test_a_refused_signature_does_not_use_up_its_nonce(pos):
    _key_cached(pos)
    nonce = uuid.uuid4().hex
    assert_error(pos.post("/pos/ping", {"store_code": "CFG01"}, nonce=nonce, secret="wrong"),
                 401, "unauthenticated")
    assert pos.post("/pos/ping", {"store_code": "CFG01"}, nonce=nonce).status_code == 200
    assert_error(pos.post("/pos/ping", {"store_code": "CFG01"}, nonce=nonce), 401, "unauthenticated")


def test_another_process_s_change_is_seen_once_it_bumps_the_generation(app):
    run_in_transaction(lambda: settings.update_settings({"earn": {"points_per_yuan": 2}}))
    with _fresh_request(app):
        assert _earn_rate() == 2
    _set_rate_elsewhere(5)
    with _fresh_request(app):
        assert _earn_rate() == 5


def test_a_lost_generation_bump_is_outlived_by_the_cache_age(app, monkeypatch):
    run_in_transaction(lambda: settings.update_settings({"earn": {"points_per_yuan": 2}}))
    with _fresh_request(app):
        assert _earn_rate() == 2
    _set_rate_elsewhere(7, announce=False)  # e.g. Redis was down when that process committed
    with _fresh_request(app):
        assert _earn_rate() == 2  # still the cached value …
    monkeypatch.setattr(config_cache, "MAX_AGE_SECONDS", 0)
    with _fresh_request(app):
        assert _earn_rate() == 7  # … until it is old enough to be read again


def test_a_rolled_back_change_is_never_served(app):
    run_in_transaction(lambda: settings.update_settings({"earn": {"points_per_yuan": 2}}))

    def change_then_fail():
        settings.update_settings({"earn": {"points_per_yuan": 9}})
        assert settings.get_settings()["earn"]["points_per_yuan"] == 9  # this transaction's view
        raise RuntimeError("the request failed after writing")

    with _fresh_request(app):
        with pytest.raises(RuntimeError):
            run_in_transaction(change_then_fail)
    with _fresh_request(app):
        assert _earn_rate() == 2


def test_while_redis_is_down_the_configuration_comes_from_the_database(app, monkeypatch):
    run_in_transaction(lambda: settings.update_settings({"earn": {"points_per_yuan": 2}}))
    with _fresh_request(app):
        assert _earn_rate() == 2
    _set_rate_elsewhere(4, announce=False)

    def down(*_args, **_kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(get_redis(), "get", down)
    with _fresh_request(app):
        assert _earn_rate() == 4  # the cache cannot be checked, so it is not trusted
