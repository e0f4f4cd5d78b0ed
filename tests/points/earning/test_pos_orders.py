"""POST /pos/orders and /staff/orders: finding the member, earning, exactly once."""
import json
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core import clock, events
from core.db import db
from core.redis import get_redis, rkey
from members import codes
from members.models import ORIGIN_STORE, Member
from points.earning.models import Order
from points.ledger.models import PointsEntry

SH = timezone(timedelta(hours=8))


def order(**body):
    return {"store_code": "SH001", "order_no": "A-1", "amount_fen": 12345, **body}


def test_an_order_by_member_no_earns_points_at_once(shop, factory):
    store, pos = shop
    member = factory.member()
    response = pos.post("/pos/orders", order(member_no=member.member_no))
    assert response.status_code == 201
    body = response.get_json()
    assert body["points_earned"] == 123 and body["balance"] == 123
    assert body["breakdown"] == [{"kind": "base", "source": "earn_rate",
                                  "label": "1 point(s) per whole yuan", "points": 123}]
    entry = db.session.scalars(select(PointsEntry).filter_by(member_id=member.id)).one()
    assert entry.store_id == store.id and entry.kind == "earn"


def test_an_order_by_scanned_member_code(shop, factory):
    _store, pos = shop
    member = factory.member()
    code, _expires, _refresh = codes.issue_code(member)
    assert pos.post("/pos/orders", order(member_code=code)).get_json()["member_no"] == member.member_no
    clock.set(clock.now() + timedelta(seconds=120))
    stale = pos.post("/pos/orders", order(order_no="A-2", member_code=code))
    assert stale.status_code == 410


def test_a_retry_after_the_member_code_expired_still_gets_the_first_answer(shop, factory):
    _store, pos = shop
    member = factory.member()
    code, _expires, _refresh = codes.issue_code(member)
    first = pos.post("/pos/orders", order(member_code=code))
    clock.set(clock.now() + timedelta(seconds=120))  # the till retries after the code expired
    again = pos.post("/pos/orders", order(member_code=code))
    assert again.status_code == 200 and again.get_json() == first.get_json()
    other = pos.post("/pos/orders", order(member_code=code, amount_fen=1))
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_mismatch"


def test_an_unknown_phone_registers_a_customer_at_this_store(shop, settings):
    store, pos = shop
    settings(registration_bonus=100)
    body = pos.post("/pos/orders", order(phone="13912345678")).get_json()
    assert body["points_earned"] == 123 and body["balance"] == 223
    member = db.session.scalars(select(Member).filter_by(phone="+8613912345678")).one()  # E.164
    assert member.origin == ORIGIN_STORE and member.registered_store_id == store.id
    again = pos.post("/pos/orders", order(order_no="A-2", phone="13912345678")).get_json()
    assert again["balance"] == 346  # the same customer, no second registration bonus


def test_the_same_order_again_is_200_with_the_same_body_and_no_second_credit(shop, factory):
    _store, pos = shop
    member = factory.member()
    first = pos.post("/pos/orders", order(member_no=member.member_no))
    factory.credit(member, 7)  # the balance moves on meanwhile
    again = pos.post("/pos/orders", order(member_no=member.member_no))
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_the_same_order_no_with_other_content_is_422(shop, factory):
    _store, pos = shop
    member = factory.member()
    pos.post("/pos/orders", order(member_no=member.member_no))
    other = pos.post("/pos/orders", order(member_no=member.member_no, amount_fen=99999))
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_mismatch"


def test_order_numbers_are_per_store(factory, pos_client):
    member = factory.member()
    a, b = factory.store(code="SH001"), factory.store(code="BJ001")
    assert pos_client(a).post("/pos/orders", order(member_no=member.member_no)).status_code == 201
    assert pos_client(b).post("/pos/orders", order(store_code="BJ001", member_no=member.member_no)
                              ).status_code == 201


def test_a_pos_key_reports_only_for_its_store(shop, factory):
    _store, pos = shop
    factory.store(code="BJ001")
    member = factory.member()
    response = pos.post("/pos/orders", order(store_code="BJ001", member_no=member.member_no))
    assert response.status_code == 403


def test_the_member_must_be_named_once(shop, factory):
    _store, pos = shop
    member = factory.member(phone="13800000001")
    assert pos.post("/pos/orders", order()).status_code == 422
    both = pos.post("/pos/orders", order(member_no=member.member_no, phone="13800000001"))
    assert both.status_code == 422
    assert pos.post("/pos/orders", order(member_no="000000000000")).status_code == 404


def test_first_order_bonus_and_the_order_recorded_event(shop, factory, settings):
    _store, pos = shop
    settings(first_order_bonus=50)
    member = factory.member()
    seen = []
    handler = events.subscribe("order.recorded")(
        lambda member, order, first: seen.append((order.order_no, first)))
    try:
        first = pos.post("/pos/orders", order(member_no=member.member_no)).get_json()
        second = pos.post("/pos/orders", order(order_no="A-2", member_no=member.member_no)).get_json()
    finally:
        events._handlers["order.recorded"].remove(handler)
    assert first["points_earned"] == 173 and second["points_earned"] == 123
    assert seen == [("A-1", True), ("A-2", False)]


def test_a_cashier_records_orders_for_their_own_store_only(shop, factory, staff_client):
    store, _pos = shop
    other = factory.store(code="BJ001")
    member = factory.member()
    cashier = staff_client("cashier", stores=[store])
    ok = cashier.post("/staff/orders", order(member_no=member.member_no))
    assert ok.status_code == 201 and ok.get_json()["points_earned"] == 123
    refused = cashier.post("/staff/orders", order(store_code=other.code, member_no=member.member_no))
    assert refused.status_code == 403


def test_promotions_by_store_weekday_and_window_over_the_api(shop, factory, staff_client):
    _store, pos = shop
    factory.store(code="BJ001")
    marketer = staff_client("marketer")
    wednesday_sh = {"name": "SH001 double Wednesday", "multiplier": 2, "store_codes": ["SH001"],
                    "weekdays": [3], "starts_at": "2026-01-01T00:00:00+08:00",
                    "ends_at": "2027-01-01T00:00:00+08:00"}
    assert marketer.post("/admin/promotions", wednesday_sh).status_code == 201
    assert marketer.post("/admin/earn-rules", {"category": "tea", "multiplier": 1.5}).status_code == 201
    member = factory.member()
    wed = datetime(2026, 11, 25, 12, tzinfo=SH).isoformat()
    thu = datetime(2026, 11, 26, 12, tzinfo=SH).isoformat()
    items = [{"sku": "T1", "category": "tea", "amount_fen": 2000, "quantity": 1}]
    on_wed = pos.post("/pos/orders", order(member_no=member.member_no, amount_fen=3000,
                                           items=items, paid_at=wed)).get_json()
    on_thu = pos.post("/pos/orders", order(order_no="A-2", member_no=member.member_no,
                                           amount_fen=3000, items=items, paid_at=thu)).get_json()
    assert on_wed["points_earned"] == 60   # ×2 beats tea ×1.5 on every line
    assert on_thu["points_earned"] == 40   # tea ×1.5 on ¥20 only
    assert [p["source"] for p in on_thu["breakdown"]] == ["earn_rate", "category:tea"]


def test_a_promotion_started_between_two_orders_applies_to_the_second(shop, factory, staff_client):
    _store, pos = shop
    member, paid_at = factory.member(), datetime(2026, 11, 25, 12, tzinfo=SH).isoformat()
    first = pos.post("/pos/orders", order(member_no=member.member_no, amount_fen=3000,
                                          paid_at=paid_at)).get_json()
    assert first["points_earned"] == 30  # the till has read (and cached) the configuration
    marketer = staff_client("marketer")
    assert marketer.post("/admin/promotions", {
        "name": "double now", "multiplier": 2, "store_codes": [],
        "starts_at": "2026-01-01T00:00:00+08:00", "ends_at": "2027-12-31T00:00:00+08:00"},
    ).status_code == 201
    second = pos.post("/pos/orders", order(order_no="A-2", member_no=member.member_no,
                                           amount_fen=3000, paid_at=paid_at)).get_json()
    assert second["points_earned"] == 60


def test_promotion_validation(staff_client):
    marketer = staff_client("marketer")
    base = {"name": "x", "starts_at": "2026-01-02T00:00:00+08:00",
            "ends_at": "2026-01-01T00:00:00+08:00", "multiplier": 2}
    assert "ends_at" in marketer.post("/admin/promotions", base).get_json()["error"]["details"]
    both = {**base, "ends_at": "2026-02-01T00:00:00+08:00", "bonus_points": 5}
    assert marketer.post("/admin/promotions", both).status_code == 422
    assert staff_client("cashier").post("/admin/promotions", base).status_code == 403


def _points_issued(kind):
    value = get_redis().hget(rkey("metrics", "jifen_points_issued_total"), json.dumps({"kind": kind}))
    return None if value is None else float(value)


def test_an_order_s_points_reach_the_shared_metrics_within_the_flush_interval(shop, factory, app,
                                                                                monkeypatch):
    _store, pos = shop
    monkeypatch.setitem(app.config, "METRICS_FLUSH_SECONDS", 0.2)
    member = factory.member()
    assert pos.post("/pos/orders", order(member_no=member.member_no)).status_code == 201
    assert pos.post("/pos/orders", order(order_no="A-2", member_no=member.member_no,
                                         amount_fen=1000)).status_code == 201
    deadline = time.monotonic() + 5
    while _points_issued("earn") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _points_issued("earn") == 133  # both orders, though nothing scraped /metrics


def test_a_scrape_shows_the_counts_its_process_has_not_added_yet(shop, factory, app,
                                                                  monkeypatch):
    _store, pos = shop
    monkeypatch.setitem(app.config, "METRICS_FLUSH_SECONDS", 3600)
    member = factory.member()
    assert pos.post("/pos/orders", order(member_no=member.member_no)).status_code == 201
    assert _points_issued("earn") is None  # gathered in this process, one round trip later
    scraped = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'jifen_points_issued_total{kind="earn"} 123.0' in scraped
    assert _points_issued("earn") == 123


def test_an_order_naming_a_merged_member_earns_in_the_account_it_joined(shop, factory):
    from members.service import merge_customer  # what binding the phone in the mini-program does

    _store, pos = shop
    registered_at_till, joined = factory.member(points=10), factory.member()
    code, _expires, _refresh = codes.issue_code(registered_at_till)
    merge_customer(registered_at_till, joined, registered_at_till.phone)
    by_number = pos.post("/pos/orders", order(member_no=registered_at_till.member_no))
    by_code = pos.post("/pos/orders", order(order_no="A-2", member_code=code, amount_fen=1000))
    assert by_number.status_code == 201 and by_code.status_code == 201
    assert by_number.get_json()["member_no"] == joined.member_no
    assert by_code.get_json()["balance"] == 10 + 123 + 10
    earned = db.session.scalars(select(PointsEntry.delta).filter_by(member_id=joined.id,
                                                                     kind="earn")).all()
    assert sorted(earned) == [10, 123]
