"""/admin/subscribe-templates, and how a template's data is fitted to WeChat's field limits."""
from datetime import date

import pytest
from hypothesis import given, strategies as st

from tests.core.test_errors import assert_error
from tests.reminder_fixtures import Fake
from wx.fake import FakeWechatServer
from wx.models import SubscribeTemplate
from wx.templates import fit, render

TEMPLATE = {"purpose": "points_expiring", "template_id": "tpl-1", "page": "pages/points/index",
            "fields": {"thing1": "tip", "number2": "points", "date3": "expiry_date"},
            "tip": "积分即将过期"}


@pytest.fixture(scope="module")
def _server():
    with FakeWechatServer() as server:
        yield server


@pytest.fixture(autouse=True)
def account(app, _server, monkeypatch):
    """The WeChat account (the fake, over HTTP) has templates tpl-1 and tpl-2 with the keys
    TEMPLATE maps."""
    fake = Fake(_server)
    fake.reset()
    for template_id in ("tpl-1", "tpl-2"):
        fake.add_template(template_id, TEMPLATE["fields"])
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", _server.url)
    return fake


def test_marketers_configure_the_template_and_it_is_audited(staff_client):
    marketer = staff_client("marketer")
    created = marketer.post("/admin/subscribe-templates", TEMPLATE)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["fields"] == TEMPLATE["fields"] and body["active"] is True
    pk = body["id"]

    changed = marketer.patch(f"/admin/subscribe-templates/{pk}", {"fields": {"number2": "balance"}})
    assert changed.get_json()["fields"] == {"thing1": "tip", "number2": "balance",
                                            "date3": "expiry_date"}  # only what was sent
    assert marketer.get(f"/admin/subscribe-templates/{pk}").get_json()["template_id"] == "tpl-1"
    assert [t["id"] for t in marketer.get("/admin/subscribe-templates?purpose=points_expiring")
            .get_json()] == [pk]
    assert marketer.delete(f"/admin/subscribe-templates/{pk}").get_json()["active"] is False

    log = staff_client("hq_admin").get(
        f"/admin/audit-log?target_type=subscribe_template&target_id={pk}").get_json()["items"]
    assert [e["action"] for e in log] == ["subscribe_template.update"] * 2 + [
        "subscribe_template.create"]
    assert log[1]["before"]["fields"]["number2"] == "points"


def test_one_active_template_per_purpose(staff_client):
    admin = staff_client("hq_admin")
    first = admin.post("/admin/subscribe-templates", TEMPLATE).get_json()
    assert_error(admin.post("/admin/subscribe-templates", {**TEMPLATE, "template_id": "tpl-2"}),
                 409, "invalid_state")
    admin.delete(f"/admin/subscribe-templates/{first['id']}")
    second = admin.post("/admin/subscribe-templates", {**TEMPLATE, "template_id": "tpl-2"})
    assert second.status_code == 201
    assert_error(admin.patch(f"/admin/subscribe-templates/{first['id']}", {"active": True}),
                 409, "invalid_state")


@pytest.mark.parametrize("fields, bad", [
    ({"number1": "tip"}, "number1"),            # a tip is text: a thing key
    ({"thing1": "points", "date2": "points"}, "date2"),
    ({"thing1": "nickname"}, "thing1"),          # not something a reminder can fill
    ({"Thing1": "tip"}, "fields"),               # not a WeChat key
    ({}, "fields"),
])
def test_fields_must_fit_wechats_types(staff_client, fields, bad):
    error = assert_error(staff_client().post("/admin/subscribe-templates",
                                             {**TEMPLATE, "fields": fields}),
                         422, "validation_error")
    assert bad in str(error["details"])


def test_a_template_the_wechat_account_lacks_is_refused_when_saved(staff_client):
    error = assert_error(staff_client().post("/admin/subscribe-templates",
                                             {**TEMPLATE, "template_id": "tpl-typo"}),
                         422, "validation_error")
    assert "tpl-typo" in error["details"]["template_id"][0]
    assert "tpl-1" in error["details"]["template_id"][0]  # what the account does have


def test_keys_the_wechat_template_does_not_have_or_needs_are_refused_when_saved(staff_client):
    marketer = staff_client("marketer")
    wrong = {"thing1": "tip", "number2": "points", "number4": "balance"}  # date3 → number4
    error = assert_error(marketer.post("/admin/subscribe-templates",
                                       {**TEMPLATE, "fields": wrong}), 422, "validation_error")
    assert set(error["details"]["fields"]) == {"number4", "date3"}
    assert "has no key number4" in error["details"]["fields"]["number4"][0]
    pk = marketer.post("/admin/subscribe-templates", TEMPLATE).get_json()["id"]
    assert_error(marketer.patch(f"/admin/subscribe-templates/{pk}", {"fields": wrong}),
                 422, "validation_error")
    assert marketer.patch(f"/admin/subscribe-templates/{pk}", {"tip": "快去兑换"}).status_code == 200


def test_a_template_gone_from_wechat_can_still_be_deactivated(staff_client, account):
    marketer = staff_client("marketer")
    pk = marketer.post("/admin/subscribe-templates", TEMPLATE).get_json()["id"]
    account.control("DELETE", "/_fake/templates/tpl-1")
    assert marketer.delete(f"/admin/subscribe-templates/{pk}").get_json()["active"] is False
    assert_error(marketer.patch(f"/admin/subscribe-templates/{pk}", {"active": True}),
                 422, "validation_error")


def test_saving_while_wechat_cannot_be_asked_is_503_and_saves_nothing(staff_client, app,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setitem(app.config, "WECHAT_RETRY_MAX_SECONDS", 0)
    marketer = staff_client("marketer")
    assert_error(marketer.post("/admin/subscribe-templates", TEMPLATE), 503, "unavailable")
    assert marketer.get("/admin/subscribe-templates").get_json() == []


def test_a_template_showing_the_tip_needs_one(staff_client):
    error = assert_error(staff_client().post("/admin/subscribe-templates",
                                             {**TEMPLATE, "tip": None}), 422, "validation_error")
    assert "tip" in error["details"]


def test_only_hq_and_marketers(staff_client):
    manager = staff_client("store_manager")
    assert_error(manager.get("/admin/subscribe-templates"), 403, "forbidden")
    assert_error(manager.post("/admin/subscribe-templates", TEMPLATE), 403, "forbidden")


def test_values_are_fitted_to_wechats_limits():
    template = SubscribeTemplate(fields={"thing1": "tip", "number2": "points",
                                         "date3": "expiry_date", "thing4": "expiry_date",
                                         "short_thing5": "tip"},
                                 tip="您的积分即将过期，请尽快到积分商城兑换心仪的礼品吧")
    data = render(template, {"points": 1200, "expiry_date": date(2026, 12, 31), "balance": 5})
    assert data == {"thing1": {"value": "您的积分即将过期，请尽快到积分商城兑换心"},
                    "number2": {"value": "1200"}, "date3": {"value": "2026年12月31日"},
                    "thing4": {"value": "2026年12月31日"}, "short_thing5": {"value": "您的积分即"}}
    assert len(data["thing1"]["value"]) == 20
    assert fit("date1", date(2027, 1, 5)) == "2027年1月5日"


@given(st.text(min_size=1, max_size=64).filter(str.strip))
def test_a_thing_never_exceeds_20_characters(text):
    assert len(fit("thing7", text)) <= 20


def test_a_template_patch_changes_only_the_data_keys_it_sends(staff_client):
    marketer = staff_client("marketer")
    pk = marketer.post("/admin/subscribe-templates", TEMPLATE).get_json()["id"]
    path = f"/admin/subscribe-templates/{pk}"
    changed = marketer.patch(path, {"fields": {"number2": "balance"}}).get_json()
    assert changed["fields"] == {"thing1": "tip", "number2": "balance", "date3": "expiry_date"}
    assert changed["tip"] == "积分即将过期" and changed["page"] == "pages/points/index"
    removed = marketer.patch(path, {"fields": {"date3": None}})  # null removes a key, but WeChat's
    assert_error(removed, 422, "validation_error")               # template still has date3
    assert "date3" in str(removed.get_json()["error"]["details"])
