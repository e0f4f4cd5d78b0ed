"""Cross-store settlement: for each (store that issued the points, store where they were
spent — in the mall or as cash at a till), the points and their value in fen, from the
allocations. Reversals of spending (a cancelled redemption, a refunded order's deduction)
count against the pair they undo. Points issued by no store (check-in, tasks, HQ) show
issuer null: HQ's own cost."""
from datetime import date

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import aliased

from core import clock
from core.db import db
from points.ledger import kinds
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot
from points.programme.settings import get_settings
from stores.models import Store



def settlement(date_from: date, date_to: date) -> dict:
    """Business dates, inclusive."""
    start, end = clock.start_of_business_day(date_from), clock.end_of_business_day(date_to)
    original = aliased(PointsEntry)
    signed = case((PointsEntry.delta < 0, PointsAllocation.amount), else_=-PointsAllocation.amount)
    rows = db.session.execute(
        select(PointsLot.store_id, PointsEntry.store_id, func.sum(signed))
        .select_from(PointsAllocation)
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .join(PointsLot, PointsLot.id == PointsAllocation.lot_id)
        .outerjoin(original, and_(PointsEntry.kind == "reverse", PointsEntry.ref_type == "entry",
                                  original.id == cast(PointsEntry.ref_id, Integer)))
        .where(PointsEntry.created_at >= start, PointsEntry.created_at <= end,
               (PointsEntry.kind.in_(kinds.SPENDING)) |
               ((PointsEntry.kind == "reverse") & (PointsEntry.delta > 0) & original.kind.in_(kinds.SPENDING)))
        .group_by(PointsLot.store_id, PointsEntry.store_id)).all()
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    value = get_settings()["point_value_fen"]
    pairs = [{"issuing_store": codes.get(issuer), "spending_store": codes.get(spender),
              "points": int(points), "value_fen": int(points) * value}
             for issuer, spender, points in rows if int(points)]
    pairs.sort(key=lambda p: (p["issuing_store"] or "", p["spending_store"] or ""))
    return {"date_from": date_from, "date_to": date_to, "point_value_fen": value, "pairs": pairs,
            "owed": _owed(pairs)}


def _owed(pairs) -> list[dict]:
    """Per store: value of others' points it honoured minus value of its points others honoured."""
    net: dict[str, int] = {}
    for p in pairs:
        if p["issuing_store"] and p["spending_store"] and p["issuing_store"] != p["spending_store"]:
            net[p["spending_store"]] = net.get(p["spending_store"], 0) + p["value_fen"]
            net[p["issuing_store"]] = net.get(p["issuing_store"], 0) - p["value_fen"]
    return [{"store": s, "receives_fen": v} for s, v in sorted(net.items())]


CSV_FIELDS = ("issuing_store", "spending_store", "points", "value_fen")
