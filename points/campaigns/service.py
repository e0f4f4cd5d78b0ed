"""Store campaigns: a store manager's own promotions, through the same promotion service,
schemas and audit as HQ's, inside HQ's guardrails, with HQ's approval:
draft → pending → approved | rejected (with a reason); an approved campaign applies while it is
active, in its window and within its store's monthly budget. A manager's change sends an
approved or rejected campaign back to draft (HQ approved what it saw, not what it became)."""
from datetime import date

from sqlalchemy import func, select

from core import clock
from core.crud import Crud
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from points.campaigns import budget
from points.campaigns.policy import check_promotion, policy_for
from points.earning import promotions
from points.earning.models import Promotion
from points.ledger.models import PointsEntry, PointsLot
from stores import service as stores_service
from stores.models import Store

DRAFT, PENDING, APPROVED, REJECTED = "draft", "pending", "approved", "rejected"


def list_promotions(staff):
    """HQ: every promotion; a store's staff: their stores' campaigns."""
    if staff.is_hq:
        return promotions.list_promotions()
    return db.session.scalars(select(Promotion).where(
        Promotion.store_id.in_([s.id for s in staff.stores]))
        .order_by(Promotion.starts_at.desc())).all()


def get_promotion(promotion_id: int, staff) -> Promotion:
    """404 for a promotion the caller may not see (another store's, or HQ's for a store)."""
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None or not (staff.is_hq or promotion.store_id in {s.id for s in staff.stores}):
        raise NotFound(f"No promotion {promotion_id}.")
    return promotion


def save_promotion(data: dict, promotion: Promotion | None, staff) -> Promotion:
    """HQ saves as before; a store manager saves a campaign of one of their stores (422
    outside its guardrails, the limit in the details), which becomes (or goes back to) a draft."""
    if staff.is_hq:
        check = _guardrails if promotion is not None and promotion.store_id else None
        return promotions.save_promotion(data, promotion, check=check)
    store = _own_store(staff, data.get("store_codes", promotion.store_codes if promotion else None))
    changes = {**data, "store_id": store.id, "store_codes": [store.code]}
    if promotion is None or set(data) - {"active"}:
        changes["status"] = DRAFT
    return promotions.save_promotion(changes, promotion, check=_guardrails)


def submit(promotion: Promotion, staff) -> Promotion:
    """A draft (or rejected) campaign goes to HQ for approval — or live at once when the store
    policy needs no approval. Its guardrails are checked again (they may have changed)."""
    if promotion.store_id is None:
        raise Conflict("HQ's promotions need no approval.", code="invalid_state")
    if promotion.status not in (DRAFT, REJECTED):
        raise Conflict(f"A {promotion.status} campaign cannot be submitted.", code="invalid_state",
                       details={"status": promotion.status})
    _guardrails(promotion)
    needs_approval = policy_for(_code(promotion))["approval_required"]
    return promotions.review_promotion(promotion, PENDING if needs_approval else APPROVED,
                                       "promotion.submit", review_reason=None)


def approve(promotion: Promotion, staff) -> Promotion:
    _pending(promotion)
    _guardrails(promotion)
    return promotions.review_promotion(promotion, APPROVED, "promotion.approve",
                                       reviewed_by_id=staff.id, reviewed_at=clock.now(),
                                       review_reason=None)


def reject(promotion: Promotion, staff, reason: str) -> Promotion:
    _pending(promotion)
    if not reason or not reason.strip():
        raise ValidationFailed(details={"reason": ["A rejection needs a reason."]})
    return promotions.review_promotion(promotion, REJECTED, "promotion.reject",
                                       reviewed_by_id=staff.id, reviewed_at=clock.now(),
                                       review_reason=reason.strip())


def approval_queue() -> list[Promotion]:
    """Store campaigns waiting for HQ, oldest first."""
    return db.session.scalars(select(Promotion).where(Promotion.status == PENDING)
                              .order_by(Promotion.created_at, Promotion.id)).all()


def budget_used(staff, month: str | None = None) -> list[dict]:
    """Per store the caller acts for (HQ: every store): {store_id, store_code, month,
    budget_points, spent_points}."""
    month = month or budget.month_of(clock.now())
    stores = (db.session.scalars(select(Store).order_by(Store.code)).all() if staff.is_hq
              else staff.stores)
    spent = budget.spent(month, [s.id for s in stores])
    return [{"store_id": s.id, "store_code": s.code, "month": month,
             "budget_points": policy_for(s.code)["monthly_budget_points"],
             "spent_points": int(spent.get(s.id, 0))} for s in stores]


def _pending(promotion):
    if promotion.status != PENDING:
        raise Conflict(f"Only a pending campaign can be reviewed; this one is {promotion.status}.",
                       code="invalid_state", details={"status": promotion.status})


def _own_store(staff, store_codes):
    if not store_codes or len(store_codes) != 1:
        raise ValidationFailed(details={"store_codes": ["Name exactly one of your stores."]})
    store = stores_service.get_store(store_codes[0])
    if not staff.may_act_for(store):
        raise Forbidden(f"You do not act for store {store.code}.")
    return store


def _code(promotion) -> str:
    return promotion.store_codes[0]


def _guardrails(promotion):
    check_promotion(promotion, _code(promotion))


PROMOTIONS = Crud("promotion", "promotion", list_promotions, get_promotion, save_promotion,
                  scoped=True)


def results(store_ids, month: str | None = None) -> dict[int, dict]:
    """Per store, what its campaigns and visits gave this business month (or `month`):
    {orders, extra_points, visits, visit_points} from the store-funded lots credited then."""
    month = month or budget.month_of(clock.now())
    year, number = map(int, month.split("-"))
    start = clock.start_of_business_day(date(year, number, 1))
    end = clock.start_of_business_day(date(year + number // 12, number % 12 + 1, 1))
    rows = db.session.execute(
        select(PointsLot.funder_store_id, PointsEntry.kind,
               func.count(func.distinct(PointsLot.entry_id)), func.sum(PointsLot.amount))
        .join(PointsEntry, PointsEntry.id == PointsLot.entry_id)
        .where(PointsLot.funder_store_id.in_(list(store_ids)), PointsLot.origin_lot_id.is_(None),
               PointsLot.created_at >= start, PointsLot.created_at < end)
        .group_by(PointsLot.funder_store_id, PointsEntry.kind)).all()
    out = {store_id: {"orders": 0, "extra_points": 0, "visits": 0, "visit_points": 0}
           for store_id in store_ids}
    for store_id, kind, entries, points in rows:
        counts = ("visits", "visit_points") if kind == "visit" else ("orders", "extra_points")
        out[store_id][counts[0]] += int(entries)
        out[store_id][counts[1]] += int(points)
    return out
