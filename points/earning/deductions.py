"""Points as cash at the till: `deduction.points_per_yuan` points are worth one yuan, up to
`deduction.max_ratio_percent` of the order. Idempotent on (store, order_no); an order's refund
returns its share of the points (points.earning.orders.refund)."""
from math import gcd

from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from core.errors import Conflict, ValidationFailed
from points import ledger
from points.ledger import balances
from points.earning import till
from points.earning.models import Deduction
from points.ledger.models import PointsAccount
from points.earning.orders import existing_order, replayed_order, fingerprint
from points.programme.settings import get_settings


def _rules():
    rules = get_settings()["deduction"]
    if not rules["max_ratio_percent"]:
        raise Conflict("Points cannot be used as cash in this programme.", code="invalid_state")
    return rules["points_per_yuan"], rules["max_ratio_percent"]


def _step(points_per_yuan) -> int:
    """Points must convert to whole fen: a multiple of this many."""
    return points_per_yuan // gcd(points_per_yuan, 100)


def quote(store, data: dict) -> dict:
    """The most points this member can use on an order of `amount_fen`, and what they are worth."""
    member, _ = till.hold_payer(till.find_member(data, store)[0], clock.now())
    per_yuan, ratio = _rules()
    cap_fen = data["amount_fen"] * ratio // 100
    spendable = max(balances.spendable_balance(member.id), 0)
    step = _step(per_yuan)
    max_points = min(spendable, cap_fen * per_yuan // 100) // step * step
    return {"member_no": member.member_no, "balance": spendable, "max_points": max_points,
            "max_deduct_fen": max_points * 100 // per_yuan, "points_per_yuan": per_yuan,
            "max_ratio_percent": ratio}


def deduct(store, data: dict) -> tuple[Deduction, bool]:
    """Spend `points` as cash on the order: (deduction, created). 409 limit_exceeded above the
    cap, insufficient_points above the balance; the same order_no again replays."""
    request_hash = fingerprint({k: data.get(k) for k in
                                ("order_no", "amount_fen", "points", *till.MEMBER_KEYS)})
    if (earlier := existing_order(store.id, data["order_no"], Deduction)) is not None:
        return replayed_order(earlier, request_hash), False
    member, _ = till.hold_payer(till.find_member(data, store)[0], clock.now())
    per_yuan, ratio = _rules()
    points, step = data["points"], _step(per_yuan)
    if points % step:
        raise ValidationFailed(details={"points": [f"A multiple of {step} (whole fen)."]})
    deduct_fen = points * 100 // per_yuan
    if deduct_fen > data["amount_fen"] * ratio // 100:
        raise Conflict(f"At most {ratio}% of the order can be paid with points.",
                       code="limit_exceeded",
                       details={"max_deduct_fen": data["amount_fen"] * ratio // 100})
    try:
        with db.session.begin_nested():
            entry = ledger.debit(member.id, points, kind="deduct",
                                         key=f"deduction:{store.id}:{data['order_no']}",
                                         store_id=store.id, ref=("order_no", data["order_no"]))
            row = Deduction(store_id=store.id, order_no=data["order_no"], member_id=member.id,
                            amount_fen=data["amount_fen"], points=points, deduct_fen=deduct_fen,
                            request_hash=request_hash, entry_id=entry.id,
                            balance_after=db.session.get(PointsAccount, member.id).balance,
                            created_at=clock.now())
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # a concurrent retry of the same order won
        return replayed_order(existing_order(store.id, data["order_no"], Deduction, lock="share"),
                         request_hash), False
    return row, True
