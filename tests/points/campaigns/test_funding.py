"""Who pays for points (funding): an order's base points are HQ's, a store campaign's extra
points the store's, down to the lot; spend, refund, expiry and merge keep the split exact."""
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from members.models import STATUS_MERGED
from points import ledger
from points.campaigns import budget
from points.ledger import reconcile
from points.ledger.models import PointsLot
from tests.points.campaigns.helpers import store_budget, store_campaign
from tests.points.ledger_checks import assert_ledger_consistent


def order(no="A-1", amount_fen=10000, **body):
    return {"store_code": "SH001", "order_no": no, "amount_fen": amount_fen, **body}


def lots(member):
    return db.session.execute(select(PointsLot.funder_store_id, PointsLot.amount, PointsLot.remaining)
                              .where(PointsLot.member_id == member.id).order_by(PointsLot.id)).all()


def test_an_order_with_a_store_bonus_makes_an_hq_lot_and_a_store_lot(shop, factory):
    store, pos = shop
    store_budget(1000)
    store_campaign(store, bonus_points=50)
    member = factory.member()
    body = pos.post("/pos/orders", order(member_no=member.member_no)).get_json()
    assert body["points_earned"] == 150 and body["balance"] == 150
    bonus = [p for p in body["breakdown"] if p["kind"] == "bonus"]
    assert bonus[0]["points"] == 50 and bonus[0]["funded_by"] == "SH001"
    assert "funded_by" not in body["breakdown"][0]
    assert lots(member) == [(None, 100, 100), (store.id, 50, 50)]
    assert ledger.live_points_by_funder(member.id) == {None: 100, store.id: 50}
    assert budget.spent(budget.month_of(clock.now()))[store.id] == 50
    assert_ledger_consistent()


def test_a_store_multiplier_funds_only_what_it_adds_over_hq(shop, factory):
    store, pos = shop
    store_budget(1000)
    from points.earning.models import Promotion
    db.session.add(Promotion(name="HQ 1.5x", store_codes=[], multiplier_percent=150,
                             starts_at=clock.now() - timedelta(hours=1),
                             ends_at=clock.now() + timedelta(days=1), weekdays=[], categories=[],
                             min_amount_fen=0, active=True, created_at=clock.now()))
    db.session.commit()
    store_campaign(store, multiplier_percent=200)
    member = factory.member()
    body = pos.post("/pos/orders", order(member_no=member.member_no)).get_json()
    assert body["points_earned"] == 200  # the store's double beats HQ's 1.5: 100 + 100
    assert lots(member) == [(None, 150, 150), (store.id, 50, 50)]  # HQ would have paid 150


def test_a_campaign_applies_only_at_its_store_and_only_approved(factory, pos_client):
    here, there = factory.store(code="SH001"), factory.store(code="SH002")
    store_budget(1000)
    store_campaign(there, bonus_points=50)
    store_campaign(here, bonus_points=30, status="pending")
    member = factory.member()
    body = pos_client(here).post("/pos/orders", order(member_no=member.member_no)).get_json()
    assert body["points_earned"] == 100 and lots(member) == [(None, 100, 100)]


def test_a_spent_budget_stops_the_bonus_but_base_points_still_earn(shop, factory):
    store, pos = shop
    store_budget(80)
    store_campaign(store, bonus_points=50)
    member = factory.member()
    first = pos.post("/pos/orders", order("A-1", member_no=member.member_no)).get_json()
    second = pos.post("/pos/orders", order("A-2", member_no=member.member_no)).get_json()
    assert first["points_earned"] == 150
    assert second["points_earned"] == 100 and all(p["kind"] == "base" for p in second["breakdown"])
    assert budget.spent(budget.month_of(clock.now()))[store.id] == 50
    replay = pos.post("/pos/orders", order("A-1", member_no=member.member_no))
    assert replay.status_code == 200 and replay.get_json() == first
    assert budget.spent(budget.month_of(clock.now()))[store.id] == 50


def test_refunds_take_back_from_both_funders_in_proportion(shop, factory):
    store, pos = shop
    store_budget(1000)
    store_campaign(store, bonus_points=50)
    member = factory.member()
    pos.post("/pos/orders", order(member_no=member.member_no))
    for n in range(3):  # a third each time: rounding never drifts from the split
        refund = {"store_code": "SH001", "refund_no": f"R{n}", "amount_fen": 3333 + (n == 2)}
        assert pos.post("/pos/orders/A-1/refunds", refund).status_code == 201
        hq, own = (lot[2] for lot in lots(member))
        assert (100 - hq) * 50 // 100 - (50 - own) in (-1, 0, 1)
    assert lots(member) == [(None, 100, 0), (store.id, 50, 0)]
    assert_ledger_consistent()


def test_spend_then_refund_takes_back_the_rest_from_each_funder_then_debt(shop, factory):
    store, pos = shop
    store_budget(1000)
    store_campaign(store, bonus_points=50)
    member = factory.member()
    pos.post("/pos/orders", order(member_no=member.member_no))
    ledger.debit(member.id, 120, kind="spend", key="spend:1")
    db.session.commit()
    assert lots(member) == [(None, 100, 0), (store.id, 50, 30)]  # FIFO: HQ's lot first
    pos.post("/pos/orders/A-1/refunds", {"store_code": "SH001", "refund_no": "R", "amount_fen": 10000})
    assert lots(member) == [(None, 100, 0), (store.id, 50, 0)]
    assert ledger.lock_account(member.id).balance == -120  # the spent 120 became debt
    assert_ledger_consistent()


def test_expiry_and_merge_keep_each_lots_funder(shop, factory, settings):
    store, pos = shop
    store_budget(1000)
    store_campaign(store, bonus_points=50, days=400)
    settings(expiry={"mode": "fixed_days", "days": 30})
    source, target = factory.member(), factory.member()
    pos.post("/pos/orders", order("A-1", member_no=source.member_no))
    ledger.merge_accounts(source.id, target.id, key="merge:test")
    source.merged_into_id, source.status = target.id, STATUS_MERGED  # as members' merge does
    db.session.commit()
    assert [(f, a) for f, a, _r in lots(target)] == [(None, 100), (store.id, 50)]
    assert ledger.live_points_by_funder(target.id) == {None: 100, store.id: 50}
    pos.post("/pos/orders/A-1/refunds", {"store_code": "SH001", "refund_no": "R", "amount_fen": 5000})
    assert ledger.live_points_by_funder(target.id) == {None: 50, store.id: 25}
    clock.set(clock.now() + timedelta(days=31))
    ledger.expire_member_due(ledger.lock_account(target.id), clock.now())
    db.session.commit()
    assert ledger.live_points_by_funder(target.id) == {}
    assert_ledger_consistent()


def test_reconciliation_reports_a_moved_lot_that_lost_its_funder(shop, factory):
    store, pos = shop
    store_budget(1000)
    store_campaign(store, bonus_points=50)
    source, target = factory.member(), factory.member()
    pos.post("/pos/orders", order(member_no=source.member_no))
    ledger.merge_accounts(source.id, target.id, key="merge:funder")
    db.session.commit()
    assert_ledger_consistent()
    moved = db.session.scalars(select(PointsLot).where(PointsLot.member_id == target.id,
                                                       PointsLot.funder_store_id == store.id)).one()
    moved.funder_store_id = None  # as a bug copying lots without their funder would leave it
    db.session.flush()
    _n, problems, _cursor = reconcile.check_chunk(target.id - 1, 1)
    assert [p["invariant"] for p in problems] == ["a lot keeps the funder of the lot it came from"]
