"""Fixtures for the expiry-reminder tests: the fake WeChat server over real HTTP, a
points_expiring template, and members with points expiring and consent given."""
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from core import clock
from core.db import db
from wx import templates
from wx.fake_server import FakeWechatServer

SH = timezone(timedelta(hours=8))
AS_OF = date(2026, 3, 1)          # reminders run on this business day …
EXPIRY_DAY = date(2026, 3, 8)     # … for points expiring 7 days later (the default)
TEMPLATE_ID = "tpl-points-expiring"
FIELDS = {"thing1": "tip", "number2": "points", "date3": "expiry_date", "number4": "balance"}
LONG_TIP = "您的积分即将过期，请尽快到积分商城兑换心仪的礼品吧"  # 25 characters


class Fake:
    """The running fake server and its control endpoints."""

    def __init__(self, server):
        self.server, self.url = server, server.url

    def reset(self):
        requests.post(self.url + "/_fake/reset", timeout=5).raise_for_status()

    def fail_path(self, path, times=1, **rule):
        requests.post(self.url + "/_fake/fail", json={"path": path, "times": times, **rule},
                      timeout=5).raise_for_status()

    def messages(self):
        return requests.get(self.url + "/_fake/messages", timeout=5).json()

    def calls(self, path="/cgi-bin/message/subscribe/send"):
        return requests.get(self.url + "/_fake/calls", timeout=5).json().get(path, 0)

    def fail(self, times, errcode=None, **rule):
        body = {"path": "/cgi-bin/message/subscribe/send", "times": times, **rule}
        if errcode is not None:
            body["errcode"] = errcode
        requests.post(self.url + "/_fake/fail", json=body, timeout=5).raise_for_status()

    def refuse(self, openid):
        requests.post(self.url + "/_fake/refuse", json={"touser": openid},
                      timeout=5).raise_for_status()

    def expire_tokens(self, errcode=40001):
        requests.post(self.url + "/_fake/expire-token", json={"errcode": errcode},
                      timeout=5).raise_for_status()

    def control(self, method, path, body=None):
        """Any /_fake/ control endpoint, e.g. control("PUT", "/_fake/pages", {"pages": []})."""
        response = requests.request(method, self.url + path, json=body, timeout=5)
        response.raise_for_status()
        return response.json()

    def add_template(self, template_id=TEMPLATE_ID, keys=tuple(FIELDS)):
        """The WeChat account gets (or replaces) this subscribe template."""
        requests.put(f"{self.url}/_fake/templates/{template_id}", json={"keys": list(keys)},
                     timeout=5).raise_for_status()


@pytest.fixture
def fake_wechat(app):
    with FakeWechatServer() as server:
        saved = {k: app.config[k] for k in ("WECHAT_API_BASE", "REMINDER_RETRY_BACKOFF")}
        app.config.update(WECHAT_API_BASE=server.url, REMINDER_RETRY_BACKOFF=0.01)
        fake = Fake(server)
        fake.add_template()  # the account has the template the reminders are configured with
        try:
            yield fake
        finally:
            app.config.update(saved)


def make_template(**overrides):
    data = {"purpose": "points_expiring", "template_id": TEMPLATE_ID, "page": "pages/points/index",
            "fields": dict(FIELDS), "tip": "积分即将过期，快去兑换吧", **overrides}
    template = templates.create_template(data)
    db.session.commit()
    return template


def openid_of(member) -> str:
    return f"openid-{member.id}"


def expiring_member(factory, points=120, *, day=EXPIRY_DAY, consent=1, other_points=0):
    """A member with `points` expiring at the end of business `day` (and `other_points` that
    never expire), who gave `consent` one-time subscriptions to the template."""
    member = factory.member()
    factory.credit(member, points, expires_at=clock.end_of_business_day(day))
    if other_points:
        factory.credit(member, other_points, expires_at=None)
    if consent:
        factory.wechat(member, openid_of(member))
        factory.consent(member, TEMPLATE_ID, consent)
    return member


@pytest.fixture
def reminder_clock():
    """Business morning of AS_OF, after the default reminder hour (10:00)."""
    clock.set(datetime(AS_OF.year, AS_OF.month, AS_OF.day, 11, tzinfo=SH))
    yield
    clock.set(None)
