"""At the till: record a purchase, pay with points (quote, then commit), refund."""
from flask import flash, g, request

from console import session as console_session
from console.blueprint import bp
from console.forms import DeductionForm, PurchaseForm, QuoteForm, RefundForm
from console.views import go, load, refusal, render
from console.views.till import render_card
from core.errors import AppError
from points.earning import deductions, orders
from points.earning.schemas import DeductionIn, OrderIn, QuoteIn, RefundIn

ORDER_IN, QUOTE_IN, DEDUCTION_IN, REFUND_IN = OrderIn(), QuoteIn(), DeductionIn(), RefundIn()


@bp.post("/members/<member_no>/orders")
@console_session.staff_page()
def record_purchase(member_no):
    form = PurchaseForm()
    if not form.validate():
        return render_card(member_no, 422, purchase_form=form)
    try:
        data = load(ORDER_IN, {"store_code": g.store.code, "member_no": member_no,
                               "order_no": form.order_no.data.strip(),
                               "amount_fen": form.amount.fen, "items": form.item_lines()})
        order, created = orders.record_order(g.store, data, source=f"staff:{g.staff.id}")
    except AppError as exc:
        return render_card(member_no, exc.status, purchase_form=form,
                           purchase_refused=refusal(exc, "order"))
    flash({"kind": "order", "created": created, "amount_fen": order.amount_fen,
           **orders.answer(order)}, "result")
    return go("console.member", member_no=member_no)


@bp.post("/members/<member_no>/deductions/quote")
@console_session.staff_page()
def quote_deduction(member_no):
    form = QuoteForm()
    if not form.validate():
        return render_card(member_no, 422, quote_form=form)
    try:
        data = load(QUOTE_IN, {"store_code": g.store.code, "member_no": member_no,
                               "amount_fen": form.amount.fen})
        quote = deductions.quote(g.store, data)
    except AppError as exc:
        return render_card(member_no, exc.status, quote_form=form,
                           quote_refused=refusal(exc, "deduction"))
    deduct_form = DeductionForm(formdata=None, amount=form.amount.data, points=quote["max_points"])
    return render_card(member_no, quote_form=form, quote=quote, quote_fen=form.amount.fen,
                       deduct_form=deduct_form)


@bp.post("/members/<member_no>/deductions")
@console_session.staff_page()
def deduct(member_no):
    form = DeductionForm()
    if not form.validate():
        return render_card(member_no, 422, deduct_form=form, quote_form=QuoteForm())
    try:
        data = load(DEDUCTION_IN, {"store_code": g.store.code, "member_no": member_no,
                                   "amount_fen": form.amount.fen, "points": form.points.data,
                                   "order_no": form.order_no.data.strip()})
        row, created = deductions.deduct(g.store, data)
    except AppError as exc:
        return render_card(member_no, exc.status, deduct_form=form, quote_form=QuoteForm(),
                           deduct_refused=refusal(exc, "deduction"))
    flash({"kind": "deduction", "created": created, "order_no": row.order_no,
           "points": row.points, "deduct_fen": row.deduct_fen, "balance": row.balance_after},
          "result")
    return go("console.member", member_no=member_no)


@bp.route("/refunds", methods=["GET", "POST"])
@console_session.staff_page()
def refund():
    """Look an order of this store up by its number, then refund it (whole or part)."""
    form = RefundForm(formdata=request.form if request.method == "POST" else request.args)
    order = None
    if form.order_no.data:
        order = orders.existing_order(g.store.id, form.order_no.data.strip())
    if request.method == "GET":
        if order is not None and not form.amount.data:
            form.amount.data = _yuan_text(order.amount_fen - order.refunded_fen)
        return render("refund.html", form=form, order=order, looked_up=bool(form.order_no.data))
    if not form.validate():
        return render("refund.html", 422, form=form, order=order, looked_up=True)
    try:
        data = load(REFUND_IN, {"store_code": g.store.code, "refund_no": form.refund_no.data,
                                "amount_fen": form.amount.fen})
        row, created = orders.refund(g.store, form.order_no.data.strip(), data["refund_no"],
                                     data["amount_fen"])
    except AppError as exc:
        return render("refund.html", exc.status, form=form, order=order, looked_up=True,
                      refused=refusal(exc, "refund"))
    flash({"kind": "refund", "created": created, "order_no": form.order_no.data.strip(),
           "amount_fen": row.amount_fen, "points_reversed": row.points_reversed,
           "deduction_points_returned": row.deduction_points_returned,
           "balance": row.balance_after}, "result")
    return go("console.refund")


def _yuan_text(fen: int) -> str:
    from console.money import fen_to_yuan

    return str(fen_to_yuan(fen))
