"""Mall products: what marketers put on sale (admin) and what members may see."""
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from core import audit, clock, config_cache
from core.db import after_commit, db
from core.errors import Conflict, NotFound, ValidationFailed
from core.pagination import paginate, paginate_sorted
from mall import stock_gate
from mall.models import (FULFILLED, PENDING, MemberProductCount, Product, Redemption,
                         product_stores)
from points.programme import tiers
from stores import service as stores_service

PRODUCT_FIELDS = ("title", "kind", "points_price", "cash_price_fen", "stock_total", "stock_left",
                  "per_member_limit", "tier_required", "category", "pickup_days", "active",
                  "coupon_deduct_fen", "coupon_min_spend_fen", "coupon_valid_days", "store_id")
COUPON_FIELDS = {"deduct_fen": "coupon_deduct_fen", "min_spend_fen": "coupon_min_spend_fen",
                 "valid_days": "coupon_valid_days"}


def _snapshot(product: Product) -> dict:
    snap = {n: getattr(product, n) for n in PRODUCT_FIELDS}
    snap["store_codes"] = product.store_codes
    for name in ("starts_at", "ends_at"):
        value = getattr(product, name)
        snap[name] = value.isoformat() if value else None
    return snap


@dataclass(frozen=True)
class ProductRules:
    """What a redemption (or a prize) needs of a product: a frozen snapshot, cached per
    configuration generation (core.config_cache). Never the stock: the database's guarded
    UPDATE takes that."""
    id: int
    title: str
    kind: str
    points_price: int
    cash_price_fen: int
    per_member_limit: int
    tier_required: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    pickup_days: int
    coupon_deduct_fen: int | None
    coupon_min_spend_fen: int | None
    coupon_valid_days: int | None
    active: bool
    store_ids: tuple[int, ...]
    store_codes: tuple[str, ...]

    def allows_store(self, store) -> bool:
        return not self.store_ids or store.id in self.store_ids


RULE_FIELDS = [f.name for f in fields(ProductRules)][:-2]


def product_rules(product_id: int) -> ProductRules | None:
    """The product as a redemption reads it (None if there is no such product): no query
    while the configuration is unchanged."""
    return config_cache.cached(f"mall-product:{product_id}", lambda: _rules(product_id))


def _rules(product_id):
    product = db.session.get(Product, product_id)
    if product is None:
        return None
    return ProductRules(**{f: getattr(product, f) for f in RULE_FIELDS},
                        store_ids=tuple(s.id for s in product.stores),
                        store_codes=tuple(product.store_codes))


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    return product


def list_products(limit, cursor, *, active=None, kind=None, category=None, store_ids=None):
    """For the console: every product, newest first (`store_ids`: those stores' own only)."""
    stmt = select(Product).options(selectinload(Product.stores))
    if store_ids is not None:
        stmt = stmt.where(Product.store_id.in_(list(store_ids)))
    if active is not None:
        stmt = stmt.where(Product.active.is_(active))
    stmt = stmt.filter_by(**{k: v for k, v in (("kind", kind), ("category", category)) if v})
    return paginate(db.session, stmt, Product.id, limit=limit, cursor=cursor)


def create_product(data: dict) -> Product:
    """A new product; `stock` units go on sale. Audited."""
    now = clock.now()
    stock = data.pop("stock")
    product = Product(stock_total=stock, stock_left=stock, active=True, created_at=now,
                      updated_at=now, image_urls=[])
    _apply(product, data)
    db.session.add(product)
    db.session.flush()
    audit.record("product.create", "product", product.id, after=_snapshot(product))
    return product


def update_product(product_id: int, changes: dict) -> Product:
    """Change what a product is (not its stock: see adjust_stock). Audited."""
    product = get_product(product_id)
    before = _snapshot(product)
    _apply(product, changes)
    product.updated_at = clock.now()
    if product.per_member_limit and not before["per_member_limit"]:
        _forget_counts(product.id)
    db.session.flush()
    audit.record("product.update", "product", product.id, before=before, after=_snapshot(product))
    return product


def _forget_counts(product_id: int) -> None:
    """A limit (re)introduced: counters kept while there was none missed redemptions, so
    they are dropped and rebuilt from the redemptions on each member's next one."""
    db.session.execute(delete(MemberProductCount).where(MemberProductCount.product_id == product_id))


def _apply(product: Product, data: dict) -> None:
    data = dict(data)
    if "store_codes" in data:
        product.stores = stores_service.stores_by_codes(data.pop("store_codes"))
    if (coupon := data.pop("coupon", None)) is not None:
        for name, column in COUPON_FIELDS.items():
            if name in coupon:
                setattr(product, column, coupon[name])
    for name, value in data.items():
        setattr(product, name, value)
    _check(product)


def _check(product: Product) -> None:
    problems = {}
    if product.tier_required and tiers.tier_by_code(product.tier_required) is None:
        problems["tier_required"] = [f"No tier {product.tier_required}."]
    if product.starts_at and product.ends_at and product.ends_at <= product.starts_at:
        problems["ends_at"] = ["Must be after starts_at."]
    if product.cash_price_fen and product.kind != "gift":
        problems["cash_price_fen"] = ["Only a gift can cost cash on top (paid at pickup)."]
    if product.kind == "coupon" and not (product.coupon_deduct_fen and product.coupon_valid_days):
        problems["coupon"] = ["A coupon needs deduct_fen and valid_days."]
    if product.kind != "coupon" and product.coupon_deduct_fen:
        problems["coupon"] = ["Only a coupon product has coupon terms."]
    if problems:
        raise ValidationFailed(details=problems)


def adjust_stock(product_id: int, delta: int, reason: str) -> Product:
    """Add (or, negative, remove) units; never below what is left. Audited with the reason."""
    product = get_product(product_id)
    changed = db.session.execute(
        update(Product).where(Product.id == product_id, Product.stock_left + delta >= 0)
        .values(stock_left=Product.stock_left + delta, stock_total=Product.stock_total + delta,
                updated_at=clock.now())
        .execution_options(synchronize_session=False))
    db.session.refresh(product)
    if changed.rowcount == 0:
        raise Conflict(f"Only {product.stock_left} units are left; cannot remove {-delta}.",
                       code="invalid_state", details={"stock_left": product.stock_left})
    after_commit(lambda: stock_gate.give(product_id, delta))
    audit.record("product.stock", "product", product_id, reason=reason,
                 before={"stock_left": product.stock_left - delta},
                 after={"stock_left": product.stock_left, "delta": delta})
    return product


def stock_history(product_id: int, limit: int = 100) -> list:
    """The product's latest stock adjustments (audit entries: created_at, actor_name,
    after{delta, stock_left}, reason), newest first."""
    return list(db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "product.stock",
                                       audit.AuditEntry.target_type == "product",
                                       audit.AuditEntry.target_id == str(product_id))
        .order_by(audit.AuditEntry.id.desc()).limit(limit)))


def deactivate(product_id: int) -> Product:
    return update_product(product_id, {"active": False})


# --- what members see -----------------------------------------------------------------------

#: the member's mall orders (`newest` is the default): sort key, ascending? Ties newest first.
#: `popular` is units redeemed in the mall, net of cancellations: only a redemption takes
#: `stock_left` alone (a cancellation gives it back), adjust_stock moves both columns together.
SORTS = {"points_asc": (Product.points_price, True),
         "points_desc": (Product.points_price, False),
         "popular": (Product.stock_total - Product.stock_left, False)}


def visible_products(limit, cursor, *, store_code=None, category=None, upcoming=False,
                     sort="newest"):
    """Active products in their window (with `upcoming`, also those not started yet) in the
    `sort` order (SORTS; newest first by default); with a store, those redeemable there
    (unrestricted ones too)."""
    now = clock.now()
    stmt = select(Product).options(selectinload(Product.stores)).where(Product.active.is_(True),
                                 or_(Product.ends_at.is_(None), Product.ends_at > now))
    if not upcoming:
        stmt = stmt.where(or_(Product.starts_at.is_(None), Product.starts_at <= now))
    if category:
        stmt = stmt.where(Product.category == category)
    if store_code:
        store = stores_service.get_store(store_code)
        link = product_stores.c
        stmt = stmt.where(or_(~exists().where(link.product_id == Product.id),
                              exists().where(link.product_id == Product.id,
                                             link.store_id == store.id)))
    stmt = stmt.execution_options(populate_existing=True)
    if sort == "newest":
        return paginate(db.session, stmt, Product.id, limit=limit, cursor=cursor)
    key, ascending = SORTS[sort]
    return paginate_sorted(db.session, stmt, key, Product.id, limit=limit, cursor=cursor,
                           ascending=ascending, tag=sort)


def categories() -> list[dict]:
    """The categories of the products members can see now, with how many each has."""
    now = clock.now()
    rows = db.session.execute(
        select(Product.category, func.count()).where(
            Product.active.is_(True), Product.category.is_not(None),
            or_(Product.ends_at.is_(None), Product.ends_at > now),
            or_(Product.starts_at.is_(None), Product.starts_at <= now))
        .group_by(Product.category).order_by(Product.category)).all()
    return [{"category": category, "products": n} for category, n in rows]


def add_my_redeemed(products, member_id: int) -> None:
    """Set `my_redeemed` on each product: the units the member holds (not cancelled)."""
    ids = [p.id for p in products]
    held = dict(db.session.execute(
        select(Redemption.product_id, func.sum(Redemption.quantity))
        .where(Redemption.member_id == member_id, Redemption.product_id.in_(ids),
               Redemption.status.in_((PENDING, FULFILLED)))
        .group_by(Redemption.product_id)).all()) if ids else {}
    for product in products:
        product.my_redeemed = int(held.get(product.id, 0))


def visible_product(product_id: int) -> Product:
    """An active product (404 otherwise), whatever its window, so a link to an upcoming or
    ended flash sale still shows it."""
    product = get_product(product_id)
    db.session.refresh(product)
    if not product.active:
        raise NotFound(f"No product {product_id}.")
    return product
