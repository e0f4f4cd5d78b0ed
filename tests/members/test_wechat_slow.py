"""WeChat slow: a login waits no longer than WECHAT_TIMEOUT, answers 503 `unavailable`,
registers nobody, and works again once WeChat answers in time."""
import time

import pytest
from sqlalchemy import func, select

from core.db import db
from members.models import Member
from tests.core.test_errors import assert_error

pytestmark = pytest.mark.faults


def test_a_slow_wechat_is_503_within_the_timeout_and_then_recovers(app, login, wechat, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT", 0.5)
    monkeypatch.setitem(app.config, "WECHAT_RETRIES", 1)  # a slow answer is tried once more (#26)
    monkeypatch.setitem(app.config, "WECHAT_RETRY_BACKOFF", 0.1)
    wechat.fail_path("/sns/jscode2session", times=2, delay_ms=3000)
    started = time.monotonic()
    response, _ = login("o-slow")
    assert time.monotonic() - started < 2.0  # two timeouts and the backoff, never the 3 s
    assert_error(response, 503, "unavailable")
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0
    response, _ = login("o-slow")  # the fake answers at once again
    assert response.status_code == 200
