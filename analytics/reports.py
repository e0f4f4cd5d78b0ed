"""What marketers read of the scores: segment counts, movement between months, the members of
a segment or churn status."""
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from core.db import db
from core.replica import read_on_reports
from core.errors import NotFound
from core.pagination import paginate
from analytics import segments
from analytics.tags import service as tags
from analytics.models import CHAIN, MemberChurn, MemberSegment, SegmentHistory
from members.masking import mask_phone
from members.models import Member
from points.ledger.models import PointsAccount
from stores.models import Store


def scope_of(store_code: str | None) -> int:
    """The scope id of a store code (None: the chain); 404 for an unknown store."""
    if not store_code:
        return CHAIN
    store_id = db.session.scalar(select(Store.id).filter_by(code=store_code))
    if store_id is None:
        raise NotFound(f"No store {store_code}.")
    return store_id


@read_on_reports
def segment_summary(store_code: str | None = None) -> dict:
    """Each segment's members, average spend in the window and points balance (total and
    average), in the order of analytics.segments."""
    scope = scope_of(store_code)
    rows = db.session.execute(
        select(MemberSegment.segment, func.count(), func.avg(MemberSegment.monetary_fen),
               func.coalesce(func.sum(PointsAccount.balance), 0), func.max(MemberSegment.as_of))
        .outerjoin(PointsAccount, PointsAccount.member_id == MemberSegment.member_id)
        .where(MemberSegment.store_id == scope).group_by(MemberSegment.segment)).all()
    found = {row[0]: row for row in rows}
    items = []
    for s in segments.SEGMENTS:
        _code, members, avg_spend, balance, _as_of = found.get(s.code, (s.code, 0, 0, 0, None))
        items.append({"code": s.code, "name": s.name_zh, "name_en": s.name_en, "members": members,
                      "avg_spend_fen": int(avg_spend or 0), "points_balance": int(balance),
                      "avg_points_balance": int(balance) // members if members else 0})
    as_of = max((row[4] for row in rows), default=None)
    return {"store_code": store_code, "as_of": as_of, "items": items}


@read_on_reports
def movement(from_month: str, to_month: str, store_code: str | None = None) -> dict:
    """How many members went from each segment in one month to each in another (members new
    in `to_month` come from null)."""
    scope = scope_of(store_code)
    before, after = aliased(SegmentHistory), aliased(SegmentHistory)
    rows = db.session.execute(
        select(before.segment, after.segment, func.count())
        .select_from(after)
        .outerjoin(before, and_(before.store_id == after.store_id,
                                before.member_id == after.member_id, before.month == from_month))
        .where(after.store_id == scope, after.month == to_month)
        .group_by(before.segment, after.segment)).all()
    return {"from_month": from_month, "to_month": to_month,
            "moves": [{"from": a, "to": b, "members": n} for a, b, n in rows],
            "months": month_counts(store_code)}


def month_counts(store_code: str | None = None) -> list[dict]:
    """Each month's members per segment (the movement chart)."""
    rows = db.session.execute(
        select(SegmentHistory.month, SegmentHistory.segment, func.count())
        .where(SegmentHistory.store_id == scope_of(store_code))
        .group_by(SegmentHistory.month, SegmentHistory.segment)
        .order_by(SegmentHistory.month)).all()
    return [{"month": m, "segment": s, "members": n} for m, s, n in rows]


def members_page(*, segment=None, churn=None, tier=None, q=None, tag=None,
                 store_code=None, limit=20, cursor=None) -> dict:
    """Members (newest first) with their segment and churn status, filtered."""
    scope = scope_of(store_code)
    query = (select(Member).where(Member.status == "active")
             .outerjoin(MemberSegment, and_(MemberSegment.member_id == Member.id,
                                            MemberSegment.store_id == scope)))
    if segment:
        query = query.where(MemberSegment.segment == segment)
    if churn:
        query = query.join(MemberChurn, MemberChurn.member_id == Member.id).where(
            MemberChurn.status == churn)
    if tier:
        query = query.where(Member.tier_code == tier)
    if q:
        query = query.where((Member.member_no == q) | (Member.phone == q) | (Member.nickname == q))
    if tag is not None:
        query = query.where(Member.id.in_(tags.member_ids_query(tag)))
    page = paginate(db.session, query, Member.id, limit=limit, cursor=cursor)
    page["items"] = describe([m.id for m in page["items"]], scope)
    return page


def describe(member_ids: list[int], scope: int = CHAIN) -> list[dict]:
    """The list view of these members, in this order."""
    if not member_ids:
        return []
    rows = db.session.execute(
        select(Member.id, Member.member_no, Member.phone, Member.tier_code, PointsAccount.balance,
               MemberSegment.segment, MemberSegment.r, MemberSegment.f, MemberSegment.m,
               MemberChurn.status, MemberChurn.last_order_at, MemberChurn.expected_next_visit,
               MemberChurn.reason)
        .outerjoin(PointsAccount, PointsAccount.member_id == Member.id)
        .outerjoin(MemberSegment, and_(MemberSegment.member_id == Member.id,
                                       MemberSegment.store_id == scope))
        .outerjoin(MemberChurn, MemberChurn.member_id == Member.id)
        .where(Member.id.in_(member_ids))).mappings().all()
    by_id = {row["id"]: row for row in rows}
    return [_described(by_id[i]) for i in member_ids if i in by_id]


def _described(row) -> dict:
    return {"member_no": row["member_no"], "phone_masked": mask_phone(row["phone"]),
            "tier": row["tier_code"], "balance": row["balance"] or 0, "segment": row["segment"],
            "rfm": {"r": row["r"], "f": row["f"], "m": row["m"]} if row["r"] else None,
            "churn_status": row["status"], "churn_reason": row["reason"],
            "expected_next_visit": row["expected_next_visit"],
            "last_order_at": row["last_order_at"]}
