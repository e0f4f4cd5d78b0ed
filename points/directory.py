"""The member directory for marketers and HQ: members found by number, phone or nickname and
filtered by tier, registration store, last purchase and balance; and what a member's page
shows beside the ledger's own reads (live lots, points earned by month, merged accounts)."""
from datetime import date

from sqlalchemy import func, or_, select

from core import clock
from core.db import db
from core.pagination import paginate
from members.models import STATUS_ACTIVE, Member
from members.phones import to_e164
from points.earning.models import Order
from points.ledger.models import PointsAccount, PointsLot
from points.programme.models import EarnedMonth

_last_purchase = (select(func.max(Order.paid_at)).where(Order.member_id == Member.id)
                  .correlate(Member).scalar_subquery())
_balance = func.coalesce(PointsAccount.balance, 0)


def find_members(*, q: str | None = None, tier: str | None = None, store_id: int | None = None,
                 bought_after: date | None = None, bought_before: date | None = None,
                 balance_min: int | None = None, balance_max: int | None = None,
                 limit: int = 50, cursor: str | None = None) -> dict:
    """Active members, newest first: `q` is a member number or a phone (exact) or the start of
    a nickname; last purchase on or after `bought_after`, before `bought_before` (business
    dates); balance between `balance_min` and `balance_max` (inclusive). Each item is a row
    with member_no, phone, nickname, tier_code, registered_store_id, balance, last_purchase_at,
    created_at."""
    stmt = (select(Member).outerjoin(PointsAccount, PointsAccount.member_id == Member.id)
            .where(Member.status == STATUS_ACTIVE))
    if q := (q or "").strip():
        phone = to_e164(q)
        stmt = stmt.where(or_(Member.member_no == q, Member.nickname.startswith(q, autoescape=True),
                              *([Member.phone == phone] if phone else [])))
    if tier:
        stmt = stmt.where(Member.tier_code == tier)
    if store_id:
        stmt = stmt.where(Member.registered_store_id == store_id)
    if bought_after:
        stmt = stmt.where(_last_purchase >= clock.start_of_business_day(bought_after))
    if bought_before:
        stmt = stmt.where(_last_purchase < clock.start_of_business_day(bought_before))
    if balance_min is not None:
        stmt = stmt.where(_balance >= balance_min)
    if balance_max is not None:
        stmt = stmt.where(_balance <= balance_max)
    page = paginate(db.session, stmt, Member.id, limit=limit, cursor=cursor)
    page["items"] = _rows([member.id for member in page["items"]])
    return page


def _rows(member_ids: list[int]) -> list:
    if not member_ids:
        return []
    rows = db.session.execute(
        select(Member.id, Member.member_no, Member.phone, Member.nickname, Member.tier_code,
               Member.registered_store_id, _balance.label("balance"),
               _last_purchase.label("last_purchase_at"), Member.created_at)
        .outerjoin(PointsAccount, PointsAccount.member_id == Member.id)
        .where(Member.id.in_(member_ids))).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in member_ids if i in by_id]


def live_lots(member_id: int, limit: int = 100) -> list[PointsLot]:
    """The member's lots with points remaining, soonest-expiring first (never-expiring last)."""
    return db.session.scalars(
        select(PointsLot).where(PointsLot.member_id == member_id, PointsLot.remaining > 0)
        .order_by(PointsLot.expires_at.is_(None), PointsLot.expires_at, PointsLot.id)
        .limit(limit)).all()


def earned_by_month(member_id: int, months: int = 12) -> list[EarnedMonth]:
    """Points earned in each of the member's latest months (what tiers count), newest first."""
    return db.session.scalars(select(EarnedMonth).where(EarnedMonth.member_id == member_id)
                              .order_by(EarnedMonth.month.desc()).limit(months)).all()


def merged_members(member_id: int) -> list[Member]:
    """The accounts merged into this member (a till customer who later bound WeChat)."""
    return db.session.scalars(select(Member).where(Member.merged_into_id == member_id)
                              .order_by(Member.id)).all()
