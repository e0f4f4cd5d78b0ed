"""The analytics endpoints: segments, movement, members by segment and churn, the promotion
cost preview, the settings."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from core import clock
from core.db import db
from analytics import jobs, preview
from points.earning.models import Order, Promotion

AS_OF = date(2026, 6, 30)


def scored(members, buy, factory):
    store = factory.store("SEG1")
    big, small, quiet = members(3)
    for i in range(3):
        buy(big, store, AS_OF - timedelta(days=10 + 30 * i), amount_fen=50000)
    buy(small, store, AS_OF - timedelta(days=100), amount_fen=1000)
    jobs.nightly(AS_OF.isoformat())
    return big, small, quiet


def test_segment_counts_and_members_of_a_segment(members, buy, factory, staff_client):
    big, small, quiet = scored(members, buy, factory)
    factory.credit(big, 300)
    client = staff_client("marketer")
    body = client.get("/admin/segments").get_json()
    items = {i["code"]: i for i in body["items"]}
    assert body["as_of"] == "2026-06-30"
    assert (items["important_value"]["members"], items["important_value"]["name"]) == (1, "重要价值客户")
    assert items["important_value"]["avg_spend_fen"] == 150000
    assert items["important_value"]["points_balance"] == 300
    assert items["general_retain"]["members"] == 1
    assert items["no_purchase"]["members"] >= 1
    assert len(body["items"]) == 10
    page = client.get("/admin/members?segment=important_value").get_json()
    assert [m["member_no"] for m in page["items"]] == [big.member_no]
    assert page["items"][0]["rfm"] == {"r": 3, "f": 3, "m": 3}
    assert page["items"][0]["churn_status"] == "active"
    at_store = client.get("/admin/segments?store_code=SEG1").get_json()
    assert sum(i["members"] for i in at_store["items"]) == 2  # who bought there
    assert client.get("/admin/segments?store_code=NOPE").status_code == 404


def test_members_at_risk_and_their_export(members, buy, factory, staff_client):
    big, small, quiet = scored(members, buy, factory)
    client = staff_client("hq_admin")
    page = client.get("/admin/members?churn=at_risk").get_json()
    assert [m["member_no"] for m in page["items"]] == [small.member_no]
    assert "more than the chain's 90 days" in page["items"][0]["churn_reason"]
    csv = client.get("/admin/members?churn=at_risk", headers={"Accept": "text/csv"})
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("member_no,phone_masked,tier,balance,segment,churn_status")
    assert lines[1].startswith(small.member_no)


def test_movement_between_months(members, buy, factory, staff_client):
    store = factory.store()
    (member,) = members(1)
    buy(member, store, date(2026, 5, 10))
    jobs.score("2026-05-31")
    jobs.score("2026-06-30")
    body = staff_client("marketer").get(
        "/admin/segments/movement?from_month=2026-05&to_month=2026-06").get_json()
    assert {"from": "new", "to": "general_retain", "members": 1} in body["moves"]


def test_the_preview_of_a_double_points_day(members, buy, factory, staff_client):
    """Double points on Wednesdays at one store, over a week of orders: 1 point per yuan."""
    a, b = factory.store("PV1"), factory.store("PV2")
    first, second = members(2)
    wednesday = date(2026, 6, 24)
    buy(first, a, wednesday, amount_fen=12345)         # 123 base → +123
    buy(second, a, wednesday, amount_fen=5000)         # 50 → +50
    buy(second, b, wednesday, amount_fen=9900)         # other store: nothing
    buy(first, a, wednesday + timedelta(days=1), amount_fen=8800)  # Thursday: nothing
    jobs.score("2026-06-30")
    clock.set(datetime(2026, 7, 1, 4, tzinfo=timezone.utc))
    promotions_before = db.session.scalar(select(func.count()).select_from(Promotion))
    body = staff_client("marketer").post("/admin/promotions/preview", {
        "promotion": {"name": "Wednesday", "multiplier": 2, "store_codes": ["PV1"],
                      "weekdays": [3], "starts_at": "2026-07-01T00:00:00+08:00",
                      "ends_at": "2026-08-01T00:00:00+08:00"},
        "from": "2026-06-22", "to": "2026-06-28"}).get_json()
    assert (body["orders_replayed"], body["orders"], body["members"]) == (4, 2, 2)
    assert (body["extra_points"], body["extra_value_fen"]) == (173, 173)
    assert body["base_points"] == 123 + 50 + 99 + 88
    stores = {s["store_code"]: s for s in body["by_store"]}
    assert (stores["PV1"]["extra_points"], stores["PV2"]["extra_points"]) == (173, 0)
    assert sum(s["extra_points"] for s in body["by_segment"]) == 173
    assert db.session.scalar(select(func.count()).select_from(Promotion)) == promotions_before
    assert db.session.scalar(select(func.count()).select_from(Order)) == 4


def test_a_preview_of_a_few_weeks_of_a_long_history(members, buy, factory, staff_client):
    """A period that is a small part of the orders' history is read by the paid-at index
    (MariaDB: a hinted statement); the figures are the period's alone."""
    store = factory.store("LONG")
    (member,) = members(1)
    for month in range(1, 13):  # a Wednesday order each month of 2025: outside the period
        buy(member, store, date(2025, month, 1) + timedelta(days=(2 - date(2025, month, 1)
                                                                  .weekday()) % 7))
    buy(member, store, date(2026, 6, 24), amount_fen=7700)   # Wednesday: +77
    buy(member, store, date(2026, 6, 25), amount_fen=3300)   # Thursday: nothing
    assert preview._narrow(date(2026, 6, 22), date(2026, 6, 28))
    clock.set(datetime(2026, 7, 1, 4, tzinfo=timezone.utc))
    body = staff_client("marketer").post("/admin/promotions/preview", {
        "promotion": {"name": "Wednesday", "multiplier": 2, "weekdays": [3],
                      "starts_at": "2026-07-01T00:00:00+08:00",
                      "ends_at": "2026-08-01T00:00:00+08:00"},
        "from": "2026-06-22", "to": "2026-06-28"}).get_json()
    assert (body["orders_replayed"], body["orders"], body["extra_points"]) == (2, 1, 77)
    assert body["base_points"] == 77 + 33
    assert not preview._narrow(date(2025, 1, 1), date(2026, 6, 28))  # all of it: scanned


def test_the_preview_of_an_earn_rule_defaults_to_the_last_28_days(members, buy, factory,
                                                                   staff_client):
    store = factory.store()
    (member,) = members(1)
    clock.set(datetime(2026, 7, 1, 4, tzinfo=timezone.utc))
    buy(member, store, date(2026, 6, 20), amount_fen=10000,
        items=[{"sku": "t", "category": "tea", "amount_fen": 4000, "quantity": 1}])
    buy(member, store, date(2026, 5, 1), amount_fen=10000,
        items=[{"sku": "t", "category": "tea", "amount_fen": 4000, "quantity": 1}])
    body = staff_client("marketer").post("/admin/promotions/preview", {
        "earn_rule": {"category": "tea", "multiplier": 3}}).get_json()
    assert (body["from"], body["to"]) == ("2026-06-03", "2026-06-30")
    assert (body["orders_replayed"], body["extra_points"]) == (1, 80)  # 40 yuan × (3 − 1)


def test_the_preview_needs_one_draft(staff_client):
    client = staff_client("marketer")
    assert client.post("/admin/promotions/preview", {}).status_code == 422
    response = client.post("/admin/promotions/preview", {
        "earn_rule": {"category": "tea", "multiplier": 3}, "from": "2026-06-02"})
    assert response.status_code == 422


def test_fixed_thresholds_through_the_api(staff_client):
    client = staff_client("marketer")
    body = client.put("/admin/analytics/settings",
                      {"rfm": {"thresholds": {"f": [2, 3, 5, 8]}}}).get_json()
    assert body["rfm"]["thresholds"] == {"r": None, "f": [2, 3, 5, 8], "m": None}
    body = client.put("/admin/analytics/settings",
                      {"rfm": {"thresholds": {"m": [1, 2, 3, 4]}}}).get_json()
    assert body["rfm"]["thresholds"]["f"] == [2, 3, 5, 8]  # the other dimension stays
    response = client.put("/admin/analytics/settings", {"rfm": {"thresholds": {"f": [5, 3, 2, 1]}}})
    assert response.status_code == 422
    assert staff_client("cashier").get("/admin/analytics/settings").status_code == 403
