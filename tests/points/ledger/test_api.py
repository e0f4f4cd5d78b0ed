from datetime import date, datetime, timedelta, timezone

from core import clock
from points.programme.settings import update_settings
from tests.core.test_errors import assert_error

SH = timezone(timedelta(hours=8))


def test_my_points_shows_balance_tier_and_expiring_schedule(member_client, factory, staff_client):
    clock.set(datetime(2026, 3, 1, 12, tzinfo=SH))
    admin = staff_client("hq_admin")
    assert admin.post("/admin/tiers", {"code": "silver", "name": "银卡", "threshold_points": 100,
                                       "multiplier": "1.2"}).status_code == 201
    admin.post("/admin/tiers", {"code": "gold", "name": "金卡", "threshold_points": 500,
                                "multiplier": "1.5"})
    me = member_client()
    factory.credit(me.member, 80, expires_at=datetime(2026, 4, 30, 23, 59, tzinfo=SH))
    factory.credit(me.member, 40, expires_at=datetime(2026, 4, 30, 20, 0, tzinfo=SH))
    factory.credit(me.member, 30, expires_at=None)
    body = me.get("/me/points").get_json()
    assert body["balance"] == 150 and body["lifetime_earned"] == 150
    assert body["tier"] == {"code": "silver", "name": "银卡"}  # upgraded on the crossing credit
    assert body["next_tier"] == {"code": "gold", "name": "金卡", "points_needed": 350}
    assert body["expiring"] == [{"date": "2026-04-30", "points": 120}]


def test_expired_but_unswept_points_are_not_shown(member_client, factory):
    clock.set(datetime(2026, 3, 1, 12, tzinfo=SH))
    me = member_client()
    factory.credit(me.member, 50, expires_at=datetime(2026, 3, 1, 13, tzinfo=SH))
    factory.credit(me.member, 7)
    clock.set(datetime(2026, 3, 1, 14, tzinfo=SH))
    assert me.get("/me/points").get_json()["balance"] == 7


def test_a_member_in_debt_sees_a_negative_balance(member_client, factory):
    from core.db import db
    from points import ledger

    me = member_client()
    factory.credit(me.member, 30)
    ledger.clawback(me.member.id, 80, key="refund:debt-test")
    db.session.commit()
    body = me.get("/me").get_json()
    assert body["points"]["balance"] == -50 and body["points"]["expiring"] is None
    assert me.get("/me/points").get_json()["balance"] == -50


def test_history_newest_first_with_filters_and_pages(member_client, factory):
    store = factory.store(name="人民广场店")
    clock.set(datetime(2026, 3, 1, 12, tzinfo=SH))
    me = member_client()
    factory.credit(me.member, 10, store=store)
    clock.set(datetime(2026, 3, 2, 12, tzinfo=SH))
    factory.credit(me.member, 20, kind="checkin")
    clock.set(datetime(2026, 3, 3, 12, tzinfo=SH))
    factory.credit(me.member, 30)
    page = me.get("/me/points/entries?limit=2").get_json()
    assert [e["delta"] for e in page["items"]] == [30, 20]
    rest = me.get(f"/me/points/entries?limit=2&cursor={page['next_cursor']}").get_json()
    assert [e["delta"] for e in rest["items"]] == [10] and rest["next_cursor"] is None
    first = rest["items"][0]
    assert first["store"]["name"] == "人民广场店" and first["reason"] and first["balance_after"] == 10
    assert [e["delta"] for e in me.get("/me/points/entries?kind=checkin").get_json()["items"]] == [20]
    window = me.get("/me/points/entries?from=2026-03-02&to=2026-03-02").get_json()["items"]
    assert [e["delta"] for e in window] == [20]
    assert_error(me.get("/me/points/entries?kind=nonsense"), 422, "validation_error")


def test_history_is_private(member_client, factory):
    a, b = member_client(), member_client()
    factory.credit(a.member, 10)
    assert b.get("/me/points/entries").get_json()["items"] == []
    assert_error(b.get("/me/points", headers={"Authorization": "Bearer x"}), 401, "unauthenticated")


# --- staff adjustments ------------------------------------------------------------------------

def test_manager_adjusts_for_his_store_with_a_reason_and_it_is_audited(staff_client, factory,
                                                                        member_client):
    store = factory.store()
    manager = staff_client("store_manager", stores=[store])
    me = member_client()
    response = manager.post(f"/staff/members/{me.member.member_no}/adjustments",
                            {"delta": 25, "reason": "补录漏积分的小票"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["delta"] == 25 and body["balance_after"] == 25 and body["store"]["code"] == store.code
    admin = staff_client("hq_admin")
    audit = admin.get("/admin/audit-log?action=points.adjust").get_json()["items"][0]
    assert audit["reason"] == "补录漏积分的小票" and audit["actor_name"] == manager.staff.username
    assert audit["after"]["balance"] == 25


def test_adjustment_rules(staff_client, factory, member_client):
    store, other = factory.store(), factory.store()
    manager = staff_client("store_manager", stores=[store])
    cashier = staff_client("cashier", stores=[store])
    me = member_client(points=5)
    path = f"/staff/members/{me.member.member_no}/adjustments"
    assert_error(cashier.post(path, {"delta": 5, "reason": "x y"}), 403, "forbidden")
    assert_error(manager.post(path, {"delta": 5, "reason": "ok", "store_code": other.code}),
                 403, "forbidden")
    assert_error(manager.post(path, {"delta": 0, "reason": "zero"}), 422, "validation_error")
    assert_error(manager.post(path, {"delta": 5}), 422, "validation_error")
    assert_error(manager.post(path, {"delta": -6, "reason": "too much"}), 409, "insufficient_points")
    assert_error(manager.post("/staff/members/000/adjustments", {"delta": 1, "reason": "no one"}),
                 404, "not_found")


def test_adjustment_retry_with_the_same_idempotency_key_adjusts_once(staff_client, member_client):
    admin = staff_client("hq_admin")
    me = member_client()
    path = f"/staff/members/{me.member.member_no}/adjustments"
    headers = {"Idempotency-Key": "adjust-retry-0001"}
    first = admin.post(path, {"delta": 10, "reason": "goodwill"}, headers=headers)
    second = admin.post(path, {"delta": 10, "reason": "goodwill"}, headers=headers)
    assert first.get_json() == second.get_json()
    assert me.get("/me/points").get_json()["balance"] == 10


# --- settings and tiers -----------------------------------------------------------------------

def test_settings_defaults_and_partial_put(staff_client):
    marketer = staff_client("marketer")
    defaults = marketer.get("/admin/settings").get_json()
    assert defaults["earn"] == {"points_per_yuan": 1}
    assert defaults["expiry"]["mode"] == "never"
    assert defaults["deduction"]["max_ratio_percent"] == 0
    changed = marketer.put("/admin/settings", {"expiry": {"mode": "year_end"}}).get_json()
    assert changed["expiry"]["mode"] == "year_end" and changed["expiry"]["days"] == 365
    assert changed["earn"] == {"points_per_yuan": 1}
    error = assert_error(marketer.put("/admin/settings", {"expiry": {"mode": "sometimes"}}),
                         422, "validation_error")
    assert "expiry" in error["details"]
    assert_error(staff_client("cashier").get("/admin/settings"), 403, "forbidden")


def test_tier_review_lowers_tiers_of_members_who_stopped_earning(staff_client, factory):
    from core.db import db
    from members.models import Member
    from points.programme.jobs import tier_review

    staff_client("hq_admin").post("/admin/tiers", {"code": "vip", "name": "VIP",
                                                   "threshold_points": 100})
    clock.set(datetime(2026, 1, 15, 12, tzinfo=SH))
    m = factory.member(points=150)
    assert db.session.get(Member, m.id).tier_code == "vip"
    clock.set(datetime(2026, 12, 31, 12, tzinfo=SH))
    from points.programme.tiers import review_chunk
    review_chunk(clock.now())
    assert db.session.get(Member, m.id).tier_code == "vip"   # January is inside the window
    clock.set(datetime(2027, 1, 1, 12, tzinfo=SH))
    assert tier_review() == {"tiers_changed": 1}  # the job `points review-tiers` runs
    assert db.session.get(Member, m.id).tier_code is None


def test_tier_validation(staff_client):
    admin = staff_client("hq_admin")
    assert_error(admin.post("/admin/tiers", {"code": "x", "name": "X", "threshold_points": -1}),
                 422, "validation_error")
    assert_error(admin.post("/admin/tiers", {"code": "x", "name": "X", "threshold_points": 1,
                                             "multiplier": "0.5"}), 422, "validation_error")


def test_update_settings_service_is_audited(app, factory):
    update_settings({"registration_bonus": 50})
    from core.audit import AuditEntry
    from core.db import db
    from sqlalchemy import select
    row = db.session.scalars(select(AuditEntry).filter_by(action="settings.update")).first()
    assert row.after == {"registration_bonus": 50} and row.before == {"registration_bonus": 0}
    assert date  # noqa
