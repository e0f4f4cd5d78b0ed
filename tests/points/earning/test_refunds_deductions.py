"""Refunds, points as cash, and the settlement report."""
import csv
import io

import pytest

from core import clock
from points.ledger.reconcile import check_chunk


def order(member, **body):
    return {"store_code": "SH001", "order_no": "R-1", "amount_fen": 10000,
            "member_no": member.member_no, **body}


def refund(pos, refund_no, amount_fen, order_no="R-1"):
    return pos.post(f"/pos/orders/{order_no}/refunds",
                    {"store_code": "SH001", "refund_no": refund_no, "amount_fen": amount_fen})


@pytest.fixture
def paid(shop, factory):
    """A member who earned 100 points on order R-1 (¥100)."""
    _store, pos = shop
    member = factory.member()
    assert pos.post("/pos/orders", order(member)).get_json()["points_earned"] == 100
    return member, pos


def test_partial_then_full_refund_takes_back_points_proportionally(paid):
    _member, pos = paid
    first = refund(pos, "RF-1", 3333)
    assert first.status_code == 201
    assert first.get_json() == {"refund_no": "RF-1", "points_reversed": 33,
                                "deduction_points_returned": 0, "balance": 67}
    rest = refund(pos, "RF-2", 6667).get_json()
    assert rest["points_reversed"] == 67 and rest["balance"] == 0  # all of them in the end


def test_a_repeated_refund_no_replays_and_a_changed_one_is_422(paid):
    _member, pos = paid
    first = refund(pos, "RF-1", 5000)
    again = refund(pos, "RF-1", 5000)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert refund(pos, "RF-1", 4000).status_code == 422


def test_refunds_cannot_exceed_the_order(paid):
    _member, pos = paid
    refund(pos, "RF-1", 6000)
    over = refund(pos, "RF-2", 4001)
    assert over.status_code == 409
    assert over.get_json()["error"]["details"] == {"refundable_fen": 4000}
    assert refund(pos, "RF-3", 100, order_no="NOPE").status_code == 404


def test_refund_after_the_points_were_spent_leaves_debt_that_later_earnings_repay(paid, factory):
    member, pos = paid
    from points import ledger
    from core.db import db

    ledger.debit(member.id, 80, kind="spend", key="test:spend")
    db.session.commit()
    body = refund(pos, "RF-1", 10000).get_json()
    assert body["points_reversed"] == 100 and body["balance"] == -80
    later = pos.post("/pos/orders", order(member, order_no="R-2", amount_fen=20000)).get_json()
    assert later["balance"] == 120
    assert check_chunk()[1] == []


def test_deduction_quote_cap_commit_and_refund(shop, factory, settings):
    _store, pos = shop
    settings(deduction={"points_per_yuan": 100, "max_ratio_percent": 20})
    member = factory.member(points=5000)
    quote = pos.post("/pos/deductions/quote", {"store_code": "SH001", "amount_fen": 10000,
                                               "member_no": member.member_no}).get_json()
    assert quote["max_points"] == 2000 and quote["max_deduct_fen"] == 2000
    deduction = {"store_code": "SH001", "order_no": "D-1", "amount_fen": 10000, "points": 2001,
                 "member_no": member.member_no}
    over = pos.post("/pos/deductions", deduction)
    assert over.status_code == 409 and over.get_json()["error"]["code"] == "limit_exceeded"
    ok = pos.post("/pos/deductions", {**deduction, "points": 2000})
    assert ok.status_code == 201 and ok.get_json() == {"order_no": "D-1", "points": 2000,
                                                        "deduct_fen": 2000, "balance": 3000}
    again = pos.post("/pos/deductions", {**deduction, "points": 2000})
    assert again.status_code == 200 and again.get_json() == ok.get_json()
    assert pos.post("/pos/deductions", {**deduction, "points": 1000}).status_code == 422
    # the order is reported and half refunded: half the deduction comes back
    pos.post("/pos/orders", {"store_code": "SH001", "order_no": "D-1", "amount_fen": 8000,
                             "member_no": member.member_no})
    body = refund(pos, "RF-1", 4000, order_no="D-1").get_json()
    assert body["deduction_points_returned"] == 1000 and body["points_reversed"] == 40
    assert check_chunk()[1] == []


def test_deduction_needs_the_balance_and_the_programme_to_allow_it(shop, factory, settings):
    _store, pos = shop
    member = factory.member(points=100)
    body = {"store_code": "SH001", "order_no": "D-1", "amount_fen": 10000, "points": 500,
            "member_no": member.member_no}
    assert pos.post("/pos/deductions", body).get_json()["error"]["code"] == "invalid_state"
    settings(deduction={"points_per_yuan": 100, "max_ratio_percent": 50})
    short = pos.post("/pos/deductions", body)
    assert short.status_code == 409 and short.get_json()["error"]["code"] == "insufficient_points"


def test_settlement_matrix_on_a_known_scenario(factory, pos_client, staff_client, settings):
    settings(point_value_fen=2, deduction={"points_per_yuan": 100, "max_ratio_percent": 50})
    sh, bj = factory.store(code="SH001"), factory.store(code="BJ001")
    member = factory.member()
    factory.credit(member, 300, store=sh)
    factory.credit(member, 200, store=bj)   # expires later? same policy: oldest first
    bj_pos = pos_client(bj)
    bj_pos.post("/pos/deductions", {"store_code": "BJ001", "order_no": "X", "amount_fen": 100000,
                                    "points": 400, "member_no": member.member_no})
    today = clock.business_date().isoformat()
    hq = staff_client("hq_admin")
    report = hq.get(f"/admin/reports/settlement?from={today}&to={today}").get_json()
    assert report["pairs"] == [
        {"issuing_store": "BJ001", "funded_by": None, "spending_store": "BJ001", "points": 100,
         "value_fen": 200},
        {"issuing_store": "SH001", "funded_by": None, "spending_store": "BJ001", "points": 300,
         "value_fen": 600}]
    assert report["owed"] == [{"store": "BJ001", "receives_fen": 600},
                              {"store": "SH001", "receives_fen": -600}]
    as_csv = hq.get(f"/admin/reports/settlement?from={today}&to={today}",
                    headers={"Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[1] == {"issuing_store": "SH001", "funded_by": "", "spending_store": "BJ001",
                       "points": "300", "value_fen": "600"}
    assert staff_client("marketer").get(
        f"/admin/reports/settlement?from={today}&to={today}").status_code == 403
