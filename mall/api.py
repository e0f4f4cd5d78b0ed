"""The points mall for members (products, redemption, what they hold) and for store staff
(pickup verification, coupon write-off)."""
from functools import wraps

from flask import g, request

from core import limits
from core.api import blueprint, documents
from core.auth import member_required, staff_required
from core.idempotency import HEADER, earlier_outcome, idempotent
from core.pagination import page_schema
from mall import cancellation, catalog, fulfilment, service, stock_gate
from mall.schemas import (CategoriesOut, CouponArgs, CouponOut, CouponUseIn, PickupIn, ProductArgs, ProductOut,
                          RedemptionArgs, RedemptionIn, RedemptionOut, StaffCouponOut,
                          StaffRedemptionOut)
from members.lookup import current_member, member_ref

mall_blp = blueprint("mall", __name__, prefix="/mall",
                     description="The points mall: products and redemption.")
me_blp = blueprint("mall_me", __name__, prefix="/me",
                   description="A member's redemptions and coupons.")
staff_blp = blueprint("mall_staff", __name__, prefix="/staff",
                      description="Store staff hand over gifts and write off coupons.")

IDEMPOTENCY_HEADER = {"in": "header", "name": HEADER, "schema": {"type": "string"},
                      "description": "8 to 128 characters, new for each redemption the member "
                                     "means; a retry with the same key replays the answer"}


@mall_blp.get("/products")
@mall_blp.arguments(ProductArgs, location="query")
@mall_blp.response(200, page_schema(ProductOut, "MallProductPage"))
@documents(mall_blp, 401, 404, auth="member")
@member_required
def list_products(args):
    """Active products in their redemption window, with the stock left and the units I hold
    (`my_redeemed`), in the `sort` order.

    `sort`: `newest` (the default), `points_asc`, `points_desc` or `popular` (most units
    redeemed in the mall, net of cancellations); ties come newest first. Pages are keyset
    pages over (sort key, id), so following `next_cursor` with the same `sort` neither
    repeats nor skips a product; a cursor used with another sort is 422 on `cursor`."""
    page = catalog.visible_products(**args)
    catalog.add_my_redeemed(page["items"], g.member_id)
    return page


@mall_blp.get("/products/<int:product_id>")
@mall_blp.response(200, ProductOut)
@documents(mall_blp, 401, 404, auth="member")
@member_required
def get_product(product_id):
    product = catalog.visible_product(product_id)
    catalog.add_my_redeemed([product], g.member_id)
    return product


@mall_blp.get("/categories")
@mall_blp.response(200, CategoriesOut)
@documents(mall_blp, 401, auth="member")
@member_required
def list_categories():
    """The categories of the products on show now (for the mall's tabs), by name."""
    return {"items": catalog.categories()}


def sold_out_fast_path(view):
    """Answer 409 out_of_stock from Redis alone while the stock gate says sold out: no
    database, no lock. A retry of a request that did succeed still replays its 201
    (core.idempotency.earlier_outcome). Anything else goes on to the full redemption."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        body = request.get_json(silent=True)
        product_id, quantity = (body.get("product_id"), body.get("quantity", 1)) \
            if isinstance(body, dict) else (None, None)
        if type(product_id) is int and type(quantity) is int \
                and 1 <= quantity <= service.MAX_QUANTITY:  # not a bool: that is a 422
            left = stock_gate.peek(product_id)
            if left is not None and left < quantity:
                replay = earlier_outcome()
                if replay is not None:
                    return replay
                raise service.OutOfStock(details={"stock_left": left})
        return view(*args, **kwargs)

    return wrapper


@mall_blp.post("/redemptions")
@member_required
@limits.limited("redemption")
@sold_out_fast_path
@idempotent
@mall_blp.arguments(RedemptionIn)
@mall_blp.response(201, RedemptionOut)
@mall_blp.doc(parameters=[dict(IDEMPOTENCY_HEADER, required=True)])
@documents(mall_blp, 400, 401, 404, 409, 422, 429, auth="member")
def redeem(data):
    """Spend points on a product. 409 `out_of_stock`, `insufficient_points`,
    `limit_exceeded`, `invalid_state` (not started, ended, tier, store); 422 for a quantity
    outside 1..10. A gift comes with a `pickup_code`, a coupon with its `coupon`."""
    return service.redeem(member_ref(), data["product_id"], data["quantity"],
                          data.get("store_code"))


@me_blp.get("/redemptions")
@me_blp.arguments(RedemptionArgs, location="query")
@me_blp.response(200, page_schema(RedemptionOut, "RedemptionPage"))
@documents(me_blp, 401, auth="member")
@member_required
def my_redemptions(args):
    return fulfilment.my_redemptions(current_member().id, **args)


@me_blp.get("/redemptions/<int:redemption_id>")
@me_blp.response(200, RedemptionOut)
@documents(me_blp, 401, 404, auth="member")
@member_required
def my_redemption(redemption_id):
    return fulfilment.get_redemption(redemption_id, member_id=current_member().id)


@me_blp.post("/redemptions/<int:redemption_id>/cancel")
@member_required
@idempotent(required=False)
@me_blp.response(200, RedemptionOut)
@documents(me_blp, 401, 404, 409, auth="member")
def cancel_redemption(redemption_id):
    """Cancel a gift not yet picked up: the points go back (with their original expiry), and
    the stock. 409 `invalid_state` once it is picked up or cancelled."""
    return cancellation.cancel(redemption_id, by="member", member_id=current_member().id)


@me_blp.get("/coupons")
@me_blp.arguments(CouponArgs, location="query")
@me_blp.response(200, page_schema(CouponOut, "CouponPage"))
@documents(me_blp, 401, auth="member")
@member_required
def my_coupons(args):
    return fulfilment.my_coupons(current_member().id, **args)


@staff_blp.post("/redemptions/verify")
@staff_blp.arguments(PickupIn)
@staff_blp.response(200, StaffRedemptionOut)
@documents(staff_blp, 401, 403, 404, 409, 410, auth="staff")
@staff_required()
def verify_pickup(data):
    """Hand a gift over: the pickup code's redemption becomes `fulfilled` (once). Collect
    `cash_fen` from the customer when it is not 0."""
    return fulfilment.verify_pickup(data["pickup_code"], data["store_code"], g.staff)


@staff_blp.post("/coupons/verify")
@staff_blp.arguments(CouponUseIn)
@staff_blp.response(200, StaffCouponOut)
@documents(staff_blp, 401, 403, 404, 409, 410, auth="staff")
@staff_required()
def use_coupon(data):
    """Write a coupon off at the till (once); with `order_amount_fen`, its minimum spend is
    checked. Take `deduct_fen` off the order."""
    return fulfilment.use_coupon(data["coupon_code"], data["store_code"], g.staff,
                                 data.get("order_amount_fen"))
