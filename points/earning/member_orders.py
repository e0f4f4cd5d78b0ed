"""A member's orders (消费记录): their own and those of the till customers merged into them,
with what was refunded. For GET /me/orders and the member's data copy."""
from sqlalchemy import or_, select

from core.db import db
from core.pagination import paginate
from members.models import Member
from members.privacy.export import plain
from points.earning.models import Order, OrderRefund
from stores.models import Store

ORDER_FIELDS = ("order_no", "amount_fen", "items", "points_earned", "refunded_fen",
                "points_reversed", "paid_at")
REFUND_FIELDS = ("refund_no", "amount_fen", "points_reversed", "created_at")


def _orders_of(member):
    ids = select(Member.id).where(or_(Member.id == member.id, Member.merged_into_id == member.id))
    return select(Order).where(Order.member_id.in_(ids))


def my_orders(member, *, limit: int, cursor=None) -> dict:
    """A page of the member's orders, newest first, each with its store and refunds."""
    page = paginate(db.session, _orders_of(member), Order.id, limit=limit, cursor=cursor)
    _complete(page["items"])
    return page


def _complete(orders) -> None:
    """Attach `store` and `refunds` to each order (two reads for the page)."""
    ids = [o.id for o in orders]
    refunds: dict[int, list] = {}
    for refund in db.session.scalars(select(OrderRefund).where(OrderRefund.order_id.in_(ids))
                                     .order_by(OrderRefund.id)) if ids else []:
        refunds.setdefault(refund.order_id, []).append(refund)
    stores = {s.id: s for s in db.session.scalars(
        select(Store).where(Store.id.in_({o.store_id for o in orders})))} if orders else {}
    for order in orders:
        order.store, order.refunds = stores.get(order.store_id), refunds.get(order.id, [])


def for_export(member) -> list[dict]:
    orders = list(db.session.scalars(_orders_of(member).order_by(Order.id)))
    _complete(orders)
    return [{**plain(o, ORDER_FIELDS), "store_code": o.store.code if o.store else None,
             "refunds": [plain(r, REFUND_FIELDS) for r in o.refunds]} for o in orders]


def titles(order_ids) -> dict:
    """order id → what the points history shows for it: 上海人民广场店 消费 ¥128.00."""
    rows = db.session.execute(select(Order.id, Order.amount_fen, Store.name)
                              .join(Store, Store.id == Order.store_id)
                              .where(Order.id.in_([int(i) for i in order_ids]))).all()
    return {order_id: f"{name} 消费 ¥{amount / 100:.2f}" for order_id, amount, name in rows}
