"""A member's orders (消费记录)."""
from core.api import blueprint, documents
from core.auth import member_required
from core.pagination import PageArgs, page_schema
from members.lookup import current_member
from points.earning import member_orders
from points.earning.schemas import MyOrderOut

me_blp = blueprint("earning_me", __name__, prefix="/me",
                   description="A member's orders: store, amount, items, points, refunds.")


@me_blp.get("/orders")
@member_required
@me_blp.arguments(PageArgs, location="query")
@me_blp.response(200, page_schema(MyOrderOut, "MyOrderPage"))
@documents(me_blp, 401, 422, auth="member")
def my_orders(args):
    """Newest first, with every refund; orders a till recorded before the member bound their
    phone (a merged store customer's) are included."""
    return member_orders.my_orders(current_member(), **args)
