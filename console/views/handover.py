"""Handing over at the till: a redeemed gift by its pickup code, a coupon written off."""
from flask import flash, g, request

from console import session as console_session
from console.blueprint import bp
from console.forms import CouponForm, PickupForm
from console.views import go, load, refusal, render
from core.errors import AppError
from mall import fulfilment
from mall.schemas import CouponUseIn, PickupIn

PICKUP_IN, COUPON_IN = PickupIn(), CouponUseIn()


def _page(status=200, **context):
    context.setdefault("pickup_form", PickupForm(formdata=None))
    context.setdefault("coupon_form", CouponForm(formdata=None))
    return render("handover.html", status, **context)


@bp.get("/handover")
@console_session.staff_page()
def handover():
    return _page(focus=request.args.get("focus", "pickup"))


@bp.post("/handover/pickup")
@console_session.staff_page()
def verify_pickup():
    form = PickupForm()
    if not form.validate():
        return _page(422, pickup_form=form)
    try:
        data = load(PICKUP_IN, {"pickup_code": form.pickup_code.data.strip(),
                                "store_code": g.store.code})
        redemption = fulfilment.verify_pickup(data["pickup_code"], data["store_code"], g.staff)
    except AppError as exc:
        return _page(exc.status, pickup_form=form, pickup_refused=refusal(exc, "pickup"))
    flash({"kind": "pickup", "title": redemption.title, "quantity": redemption.quantity,
           "cash_fen": redemption.cash_fen, "member_no": redemption.member.member_no,
           "pickup_code": redemption.pickup_code}, "result")
    return go("console.handover", focus="pickup")


@bp.post("/handover/coupon")
@console_session.staff_page()
def use_coupon():
    form = CouponForm()
    if not form.validate():
        return _page(422, coupon_form=form, focus="coupon")
    try:
        data = load(COUPON_IN, {"coupon_code": form.coupon_code.data.strip(),
                                "store_code": g.store.code,
                                "order_amount_fen": form.order_amount.fen})
        coupon = fulfilment.use_coupon(data["coupon_code"], data["store_code"], g.staff,
                                       data.get("order_amount_fen"))
    except AppError as exc:
        return _page(exc.status, coupon_form=form, focus="coupon",
                     coupon_refused=refusal(exc, "coupon"))
    flash({"kind": "coupon", "title": coupon.title, "deduct_fen": coupon.deduct_fen,
           "code": coupon.code, "member_no": coupon.member.member_no}, "result")
    return go("console.handover", focus="coupon")
