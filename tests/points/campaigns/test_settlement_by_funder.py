"""The settlement report and the liability by funder: who issued the points spent, who funded
them, where they were spent; the report's points by funder equal the allocations'."""
from sqlalchemy import Integer, case, cast, func, select

from core import clock
from core.db import db
from points.ledger import kinds
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot
from stores.models import Store
from tests.points.campaigns.helpers import store_budget, store_campaign


def test_settlement_and_liability_by_funder(factory, pos_client, staff_client, settings):
    settings(point_value_fen=2, deduction={"points_per_yuan": 100, "max_ratio_percent": 50})
    sh, bj = factory.store(code="SH001"), factory.store(code="BJ001")
    store_budget(1000)
    store_campaign(sh, bonus_points=50)
    member = factory.member()
    pos_client(sh).post("/pos/orders", {"store_code": "SH001", "order_no": "O-1", "amount_fen": 10000,
                                        "member_no": member.member_no})
    bj_pos = pos_client(bj)
    bj_pos.post("/pos/deductions", {"store_code": "BJ001", "order_no": "D-1", "amount_fen": 100000,
                                    "points": 140, "member_no": member.member_no})
    bj_pos.post("/pos/orders", {"store_code": "BJ001", "order_no": "D-1", "amount_fen": 100000,
                                "member_no": member.member_no})
    bj_pos.post("/pos/orders/D-1/refunds", {"store_code": "BJ001", "refund_no": "R1",
                                            "amount_fen": 50000})  # gives back 70 of the 140
    hq = staff_client("hq_admin")
    today = clock.business_date().isoformat()
    report = hq.get(f"/admin/reports/settlement?from={today}&to={today}").get_json()
    # the deduction took HQ's 100 then 40 of SH001's; the refund returned the last taken first
    assert [(p["issuing_store"], p["funded_by"], p["spending_store"], p["points"])
            for p in report["pairs"]] == [("SH001", None, "BJ001", 70)]
    report_by_funder = {p["funded_by"]: p["points"] for p in report["pairs"]}
    assert report_by_funder == _spent_by_funder_from_allocations()
    assert report["owed_by_funder"] == [{"payer": None, "payee": "BJ001", "points": 70,
                                         "value_fen": 140}]
    liability = hq.get("/admin/reports/liability").get_json()
    by_funder = {r["funded_by"]: r["points"] for r in liability["by_funder"]}
    # HQ: 30 left of the first order, 500 of BJ001's order's 1000 after its half refund
    assert by_funder == {None: 30 + 500, "SH001": 50}
    assert liability["points_outstanding"] == 580 and liability["value_fen"] == 1160


def test_store_funded_points_spent_at_another_store_are_owed_by_that_store(
        factory, pos_client, staff_client, settings):
    settings(deduction={"points_per_yuan": 100, "max_ratio_percent": 50})
    sh, bj = factory.store(code="SH001"), factory.store(code="BJ001")
    store_budget(1000)
    store_campaign(sh, bonus_points=50)
    member = factory.member()
    pos_client(sh).post("/pos/orders", {"store_code": "SH001", "order_no": "O-1", "amount_fen": 10000,
                                        "member_no": member.member_no})
    pos_client(bj).post("/pos/deductions", {"store_code": "BJ001", "order_no": "D-1",
                                            "amount_fen": 100000, "points": 150,
                                            "member_no": member.member_no})
    today = clock.business_date().isoformat()
    report = staff_client("hq_admin").get(f"/admin/reports/settlement?from={today}&to={today}").get_json()
    assert report["owed_by_funder"] == [
        {"payer": None, "payee": "BJ001", "points": 100, "value_fen": 100},
        {"payer": "SH001", "payee": "BJ001", "points": 50, "value_fen": 50}]
    assert report["owed"] == [{"store": "BJ001", "receives_fen": 150},
                              {"store": "SH001", "receives_fen": -150}]


def _spent_by_funder_from_allocations():
    original = select(PointsEntry.id, PointsEntry.kind).subquery()
    signed = case((PointsEntry.delta < 0, PointsAllocation.amount), else_=-PointsAllocation.amount)
    rows = db.session.execute(
        select(PointsLot.funder_store_id, func.sum(signed))
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .join(PointsLot, PointsLot.id == PointsAllocation.lot_id)
        .outerjoin(original, original.c.id == cast(PointsEntry.ref_id, Integer))
        .where(PointsEntry.kind.in_(kinds.SPENDING) |
               ((PointsEntry.kind == "reverse") & (PointsEntry.delta > 0)
                & original.c.kind.in_(kinds.SPENDING)))
        .group_by(PointsLot.funder_store_id)).all()
    stores = {None: None}
    stores.update(dict(db.session.execute(select(Store.id, Store.code)).all()))
    return {stores[f]: int(p) for f, p in rows if int(p)}
