"""Cross-store settlement: for each (store that issued the points, store where they were
spent — in the mall or as cash at a till), the points and their value in fen, from the
allocations. Reversals of spending (a cancelled redemption, a refunded order's deduction)
count against the pair they undo. Points issued by no store (check-in, tasks, HQ) show
issuer null: HQ's own cost.

Funding: each row also names who funded the points (`funded_by`: the store whose campaign gave
them, null = HQ), read from the lots the allocations name. `owed` is the issuer's view (the
issuing store pays for its points, as before); `owed_by_funder` the funder's: what each funder
(null = HQ) owes each store (null = HQ, online) that honoured points it funded."""
from datetime import date

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import aliased

from core import clock
from core.db import db
from core.replica import reports_read
from points.ledger import kinds
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot
from points.programme.settings import get_settings
from stores.models import Store


def settlement(date_from: date, date_to: date) -> dict:
    """Business dates, inclusive; read from the reports replica, with its `freshness`."""
    with reports_read() as freshness:
        report = _settlement(date_from, date_to)
    return {**report, "freshness": freshness.as_dict()}


def _settlement(date_from: date, date_to: date) -> dict:
    start, end = clock.start_of_business_day(date_from), clock.end_of_business_day(date_to)
    original = aliased(PointsEntry)
    signed = case((PointsEntry.delta < 0, PointsAllocation.amount), else_=-PointsAllocation.amount)
    rows = db.session.execute(
        select(PointsLot.store_id, PointsLot.funder_store_id, PointsEntry.store_id, func.sum(signed))
        .select_from(PointsAllocation)
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .join(PointsLot, PointsLot.id == PointsAllocation.lot_id)
        .outerjoin(original, and_(PointsEntry.kind == "reverse", PointsEntry.ref_type == "entry",
                                  original.id == cast(PointsEntry.ref_id, Integer)))
        .where(PointsEntry.created_at >= start, PointsEntry.created_at <= end,
               (PointsEntry.kind.in_(kinds.SPENDING)) |
               ((PointsEntry.kind == "reverse") & (PointsEntry.delta > 0) & original.kind.in_(kinds.SPENDING)))
        .group_by(PointsLot.store_id, PointsLot.funder_store_id, PointsEntry.store_id)).all()
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    value = get_settings()["point_value_fen"]
    pairs = [{"issuing_store": codes.get(issuer), "funded_by": codes.get(funder),
              "spending_store": codes.get(spender), "points": int(points),
              "value_fen": int(points) * value}
             for issuer, funder, spender, points in rows if int(points)]
    pairs.sort(key=lambda p: (p["issuing_store"] or "", p["spending_store"] or "", p["funded_by"] or ""))
    return {"date_from": date_from, "date_to": date_to, "point_value_fen": value, "pairs": pairs,
            "owed": _owed(_by_issuer(pairs)), "owed_by_funder": _owed_by_funder(pairs)}


def _by_issuer(pairs) -> list[dict]:
    merged: dict[tuple, int] = {}
    for p in pairs:
        key = (p["issuing_store"], p["spending_store"])
        merged[key] = merged.get(key, 0) + p["value_fen"]
    return [{"issuing_store": i, "spending_store": s, "value_fen": v} for (i, s), v in merged.items()]


def _owed_by_funder(pairs) -> list[dict]:
    """[{payer, payee, points, value_fen}]: the funder (null = HQ) of points spent elsewhere owes
    the store that honoured them (null = HQ: spent online)."""
    owed: dict[tuple, list[int]] = {}
    for p in pairs:
        if p["funded_by"] != p["spending_store"]:
            row = owed.setdefault((p["funded_by"], p["spending_store"]), [0, 0])
            row[0] += p["points"]
            row[1] += p["value_fen"]
    return [{"payer": payer, "payee": payee, "points": points, "value_fen": value_fen}
            for (payer, payee), (points, value_fen) in sorted(
                owed.items(), key=lambda item: (item[0][0] or "", item[0][1] or ""))]


def _owed(pairs) -> list[dict]:
    """Per store: value of others' points it honoured minus value of its points others honoured."""
    net: dict[str, int] = {}
    for p in pairs:
        if p["issuing_store"] and p["spending_store"] and p["issuing_store"] != p["spending_store"]:
            net[p["spending_store"]] = net.get(p["spending_store"], 0) + p["value_fen"]
            net[p["issuing_store"]] = net.get(p["issuing_store"], 0) - p["value_fen"]
    return [{"store": s, "receives_fen": v} for s, v in sorted(net.items())]


CSV_FIELDS = ("issuing_store", "funded_by", "spending_store", "points", "value_fen")
