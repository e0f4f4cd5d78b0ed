"""GET/PATCH /me, POST /me/subscriptions, GET /me/invite-qrcode.png."""
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
import io

from core import clock, events


@pytest.fixture
def me(login):
    return login("o-profile")[1]


def test_me_shows_profile_points_tier_and_invite_code(me, factory):
    body = me.get("/me").get_json()
    assert set(body) >= {"id", "member_no", "nickname", "avatar_url", "phone_masked", "birthday",
                         "tier", "points", "invite_code"}
    assert body["points"] == {"balance": 0, "expiring": None}


@pytest.mark.parametrize("field, value", [
    ("nickname", ""), ("nickname", "x" * 33), ("nickname", "   "),
    ("avatar_url", "http://example.com/a.png"), ("avatar_url", "not a url"),
    ("birthday", "2999-01-01"), ("birthday", "2001-02-30"), ("birthday", "1850-01-01"),
    ("gender", "robot"),
])
def test_bad_profile_fields_are_422_with_the_field_named(me, field, value):
    response = me.patch("/me", {field: value})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]


def test_profile_update_and_completion_is_announced_once(me):
    seen = []
    handler = events.subscribe("member.profile_completed")(lambda member: seen.append(member.id))
    try:
        me.patch("/me", {"nickname": "小明", "gender": "male"})
        assert seen == []
        body = me.patch("/me", {"avatar_url": "https://img.example.com/a.png",
                                "birthday": "1990-05-20"}).get_json()
        me.patch("/me", {"nickname": "小明明"})
    finally:
        events._handlers["member.profile_completed"].remove(handler)
    assert seen == [body["id"]]
    assert body["nickname"] == "小明" and body["birthday"] == "1990-05-20"


def test_a_birthday_changes_at_most_once_a_year(login):
    set_on = clock.now()
    me = login("o-birthday")[1]
    assert me.patch("/me", {"birthday": "1990-05-20"}).status_code == 200
    clock.set(set_on + timedelta(days=3))
    refused = me.patch("/me", {"birthday": "1990-06-20"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["details"]["next_change"] == \
        clock.business_date(set_on + timedelta(days=365)).isoformat()
    assert me.patch("/me", {"birthday": "1990-05-20", "nickname": "same"}).status_code == 200
    clock.set(set_on + timedelta(days=366))
    me = login("o-birthday")[1]  # a year later: a new session
    assert me.patch("/me", {"birthday": "1990-06-20"}).get_json()["birthday"] == "1990-06-20"


def offer(purpose, template_id):
    from core.db import db
    from wx import templates

    templates.create_template({"purpose": purpose, "template_id": template_id,
                               "fields": {"thing1": "tip"}, "tip": "提醒"}, check_wechat=False)
    db.session.commit()


def test_each_accepted_subscription_adds_one_send_and_a_refusal_adds_none(me):
    offer("points_expiring", "tpl-1"), offer("pickup_reminder", "tpl-2")

    def answer(accepted):
        return me.post("/me/subscriptions", {"template_id": "tpl-1", "accepted": accepted})

    assert answer(True).get_json() == {"template_id": "tpl-1", "remaining": 1}
    assert answer(True).get_json()["remaining"] == 2
    assert answer(False).get_json()["remaining"] == 2
    other = me.post("/me/subscriptions", {"template_id": "tpl-2", "accepted": True})
    assert other.get_json()["remaining"] == 1
    assert me.post("/me/subscriptions", {"template_id": "tpl-1"}).status_code == 422


def test_only_offered_templates_can_be_subscribed(me, client):
    offer("coupon_expiring", "tpl-coupon")
    assert client.get("/subscribe-templates").get_json() == {
        "items": [{"purpose": "coupon_expiring", "template_id": "tpl-coupon"}]}
    refused = me.post("/me/subscriptions", {"template_id": "tpl-made-up", "accepted": True})
    assert refused.status_code == 422
    assert "template_id" in refused.get_json()["error"]["details"]
    assert me.post("/me/subscriptions", {"template_id": "tpl-coupon", "accepted": True}) \
        .get_json()["remaining"] == 1


def test_the_invite_qrcode_carries_the_invite_code_and_is_fetched_from_wechat_once(me, wechat):
    invite_code = me.get("/me").get_json()["invite_code"]
    first = me.get("/me/invite-qrcode.png")
    second = me.get("/me/invite-qrcode.png")
    assert first.status_code == 200 and first.mimetype == "image/jpeg"  # as WeChat made it
    assert first.data.startswith(b"\xff\xd8\xff")  # the bytes are what the type says
    assert second.data == first.data and second.mimetype == "image/jpeg"
    assert wechat.calls("/wxa/getwxacodeunlimit") == 1
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(first.data)))
    assert decoded.text.endswith(f"scene={invite_code}")


def test_the_invite_qrcode_when_wechat_fails_is_502_and_not_cached(me, wechat):
    wechat.fail_path("/wxa/getwxacodeunlimit", times=1, errcode=45009)
    assert me.get("/me/invite-qrcode.png").status_code == 502
    assert wechat.calls("/wxa/getwxacodeunlimit") == 1  # the day's quota: not retried
    assert me.get("/me/invite-qrcode.png").status_code == 200


def test_before_the_first_release_the_invite_code_opens_the_trial_version(me, wechat, app,
                                                                           monkeypatch):
    wechat.control("PUT", "/_fake/pages", {"pages": []})  # nothing released yet
    refused = me.get("/me/invite-qrcode.png")  # release, and WeChat checks the page: 41030
    assert refused.status_code == 502 and refused.get_json()["error"]["details"]["errcode"] == 41030
    monkeypatch.setitem(app.config, "WECHAT_ENV_VERSION", "trial")
    monkeypatch.setitem(app.config, "WECHAT_CHECK_PATH", False)
    trial = me.get("/me/invite-qrcode.png")
    assert trial.status_code == 200 and trial.mimetype == "image/jpeg"
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(trial.data)))
    assert decoded.text.startswith("trial:pages/invite/index?")  # the fake draws the version
