"""POST /auth/wx-login over real HTTP against the fake WeChat server."""
import json
import logging

from sqlalchemy import func, select

from core import events
from core.db import db
from members.models import Member, WechatIdentity
from members.numbers import is_valid_member_no
from points.ledger.models import PointsAccount


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_first_login_registers_a_member_and_a_second_finds_it(login, factory):
    store = factory.store(code="SH001")
    first, me = login("o-alice", store_code="SH001", invite_code="INVITE42")
    body = first.get_json()
    assert first.status_code == 200
    assert body["member"]["is_new"] is True and body["member"]["phone_bound"] is False
    assert body["expires_in"] > 0 and "session_key" not in json.dumps(body)
    member = db.session.get(Member, body["member"]["id"])
    assert is_valid_member_no(member.member_no) and len(member.invite_code) == 8
    assert member.registered_store_id == store.id
    assert db.session.get(PointsAccount, member.id) is not None
    assert me.get("/me").get_json()["member_no"] == member.member_no

    again, _ = login("o-alice")
    assert again.get_json()["member"] == {**body["member"], "is_new": False}
    assert count(Member) == 1


def test_registration_is_announced_once_with_the_invite_code_and_store(login, factory):
    store = factory.store(code="SH002")
    seen = []
    handler = events.subscribe("member.registered")(
        lambda member, invite_code, store: seen.append((member.id, invite_code, store)))
    try:
        response, _ = login("o-bob", invite_code="FRIEND01", store_code="SH002")
        login("o-bob")
    finally:
        events._handlers["member.registered"].remove(handler)
    assert seen == [(response.get_json()["member"]["id"], "FRIEND01", store)]


def test_the_session_key_is_kept_on_the_server_replaced_on_each_login_and_never_logged(
        login, caplog):
    caplog.set_level(logging.DEBUG)
    login("o-carol")
    identity = db.session.scalars(select(WechatIdentity).filter_by(openid="o-carol")).one()
    first_key = identity.session_key
    login("o-carol")
    db.session.refresh(identity)
    assert first_key and identity.session_key and identity.session_key != first_key
    assert first_key not in caplog.text and identity.session_key not in caplog.text


def test_openids_of_one_unionid_are_one_member(login, factory, app):
    official_account = factory.member()
    factory.wechat(official_account, "oa-openid", unionid="u-dave", appid="wx-official-account")
    response, _ = login("o-dave", unionid="u-dave")
    assert response.get_json()["member"] == {"id": official_account.id,
                                             "member_no": official_account.member_no,
                                             "is_new": False, "phone_bound": False, "status": "active"}
    assert count(WechatIdentity) == 2


def test_numbers_are_unique_and_not_sequential(login):
    numbers = sorted(int(login(f"o-n{i}")[0].get_json()["member"]["member_no"]) for i in range(5))
    assert len(set(numbers)) == 5
    assert any(b - a > 1000 for a, b in zip(numbers, numbers[1:]))


def test_an_invalid_or_used_code_is_401_and_creates_nothing(client, wechat):
    bad = client.post("/auth/wx-login", {"code": "not-a-real-code"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthenticated"
    assert client.post("/auth/wx-login", {"code": "fake:o-erin"}).status_code == 200
    used = client.post("/auth/wx-login", {"code": "fake:o-erin"})
    assert used.status_code == 401
    assert count(Member) == 1


def test_wechat_busy_is_retried_then_succeeds(login, wechat):
    wechat.fail_path("/sns/jscode2session", times=1, errcode=-1)
    response, _ = login("o-frank")
    assert response.status_code == 200
    assert wechat.calls("/sns/jscode2session") == 2


def test_wechat_down_is_503_and_creates_nothing(client, app, wechat):
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    response = client.post("/auth/wx-login", {"code": "fake:o-gina"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "unavailable"
    assert count(Member) == 0


def test_a_wechat_error_is_502_with_the_errcode(client, wechat):
    wechat.fail_path("/sns/jscode2session", times=1, errcode=45011)
    response = client.post("/auth/wx-login", {"code": "fake:o-hana"})
    assert response.status_code == 502
    assert response.get_json()["error"] == {"code": "wechat_error", "message": response.get_json()
                                            ["error"]["message"], "details": {
                                                "errcode": 45011, "errmsg": response.get_json()
                                                ["error"]["details"]["errmsg"]}}
    assert count(Member) == 0


def test_a_missing_code_is_a_validation_error(client, wechat):
    response = client.post("/auth/wx-login", {})
    assert response.status_code == 422 and "code" in str(response.get_json()["error"]["details"])


def test_a_new_member_gets_the_registration_bonus_once(login):
    from points.programme.settings import update_settings

    update_settings({"registration_bonus": 100})
    db.session.commit()
    _, me = login("o-bonus")
    login("o-bonus")
    assert me.get("/me/points").get_json()["balance"] == 100


def test_an_invite_code_at_the_first_login_rewards_the_inviter(login, factory):
    from tasks import service as tasks_service

    tasks_service.save_task({"kind": "referral", "title": "invite", "config": {
        "inviter_points": 100, "invitee_points": 50, "trigger": "register"}})
    db.session.commit()
    inviter = factory.member()
    _, friend = login("o-invited", invite_code=inviter.invite_code)
    assert friend.get("/me/points").get_json()["balance"] == 50
    assert db.session.get(PointsAccount, inviter.id).balance == 100
