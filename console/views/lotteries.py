"""Lotteries for marketers and HQ: the list, the editor (the prize table with its odds worked
out as it is typed), prize stock with a reason, withdrawing, and the draw log with its CSV.
The rules are the API's: the same schemas check what is typed, the same services write it."""
import csv
import io

from flask import Response, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from console import session as console_session
from console.blueprint import bp
from console.filters import local_time
from console.forms import DrawFilterForm, LotteryForm, PrizeStockForm
from console.money import fen_to_yuan
from console.views import go, load, refusal, render
from core import clock
from core.errors import AppError
from lottery import catalog
from lottery.schemas import LotteryFields, LotteryIn, PrizeStockIn
from members.lookup import member_nos
from stores.models import MARKETING

LOTTERY_IN, LOTTERY_CHANGES, STOCK_IN = LotteryIn(), LotteryFields(partial=True), PrizeStockIn()
#: a prize's mall redemption, as the draw log says it
HANDED = {"pending": _l("waiting for pickup"), "fulfilled": _l("handed over"),
          "cancelled": _l("gift cancelled"), "expired": _l("expired unpicked")}
PAGE = 50  #: draws on one page of the log; the CSV has them all
CSV_PAGE = 1000


@bp.get("/lotteries")
@console_session.staff_page(*MARKETING, store=False)
def lotteries():
    page = catalog.list_lotteries(100, request.args.get("cursor"))
    return render("lotteries.html", page=page, now=clock.now())


@bp.route("/lotteries/new", methods=["GET", "POST"])
@console_session.staff_page(*MARKETING, store=False)
def new_lottery():
    form = LotteryForm()
    if request.method == "GET" or not form.validate():
        return render("lottery.html", 422 if form.errors else 200, form=form, lottery=None)
    try:
        lottery = catalog.create_lottery(load(LOTTERY_IN, form.payload(clock.business_tz())))
    except AppError as exc:
        return render("lottery.html", exc.status, form=form, lottery=None,
                      refused=refusal(exc, "lottery"))
    flash(_("Lottery %(name)s created; its seeds are committed.", name=lottery.name), "success")
    return go("console.lottery", lottery_id=lottery.id)


@bp.route("/lotteries/<int:lottery_id>", methods=["GET", "POST"])
@console_session.staff_page(*MARKETING, store=False)
def lottery(lottery_id):
    current = catalog.get_lottery(lottery_id)
    form = LotteryForm() if request.method == "POST" else LotteryForm(data=_form_data(current))
    if request.method == "GET" or not form.validate():
        return _editor(current, form, 422 if form.errors else 200)
    try:
        catalog.update_lottery(lottery_id,
                               load(LOTTERY_CHANGES, form.payload(clock.business_tz())))
    except AppError as exc:
        return _editor(current, form, exc.status, refused=refusal(exc, "lottery"))
    flash(_("Lottery saved."), "success")
    return go("console.lottery", lottery_id=lottery_id)


@bp.post("/lotteries/<int:lottery_id>/withdraw")
@console_session.staff_page(*MARKETING, store=False)
def withdraw_lottery(lottery_id):
    catalog.deactivate(lottery_id)
    flash(_("Lottery withdrawn: no more draws; the draws made stand."), "success")
    return go("console.lottery", lottery_id=lottery_id)


@bp.post("/lotteries/<int:lottery_id>/prizes/<int:prize_id>/stock")
@console_session.staff_page(*MARKETING, store=False)
def prize_stock(lottery_id, prize_id):
    form = PrizeStockForm()
    current = catalog.get_lottery(lottery_id)
    if not form.validate():
        return _editor(current, LotteryForm(data=_form_data(current)), 422, stock_form=form,
                       stock_prize=prize_id)
    try:
        data = load(STOCK_IN, {"delta": form.delta.data, "reason": form.reason.data})
        prize = catalog.adjust_prize_stock(lottery_id, prize_id, data["delta"], data["reason"])
    except AppError as exc:
        return _editor(current, LotteryForm(data=_form_data(current)), exc.status,
                       stock_form=form, stock_prize=prize_id, refused=refusal(exc, "stock"))
    flash(_("%(prize)s: %(left)s left to win.", prize=prize.name, left=prize.stock_left),
          "success")
    return go("console.lottery", lottery_id=lottery_id)


@bp.get("/lotteries/<int:lottery_id>/draws")
@console_session.staff_page(*MARKETING, store=False)
def lottery_draws(lottery_id):
    current = catalog.get_lottery(lottery_id)
    filters = _filters(current)
    try:
        page = catalog.draws_for_console(lottery_id, PAGE, request.args.get("cursor"),
                                         **_chosen(filters))
    except AppError as exc:  # an unknown member number
        return render("lottery_draws.html", exc.status, lottery=current, filters=filters,
                      page={"items": [], "next_cursor": None}, numbers={}, status_name=handed,
                      refused=refusal(exc, "draws"))
    return render("lottery_draws.html", lottery=current, filters=filters, page=page,
                  numbers=member_nos(d.member_id for d in page["items"]), status_name=handed)


@bp.get("/lotteries/<int:lottery_id>/draws.csv")
@console_session.staff_page(*MARKETING, store=False)
def lottery_draws_csv(lottery_id):
    current = catalog.get_lottery(lottery_id)
    chosen = _chosen(_filters(current))
    out = io.StringIO()
    out.write("\ufeff")  # UTF-8 with BOM: Excel then opens Chinese correctly
    writer = csv.writer(out)
    writer.writerow([_("Time"), _("Draw"), _("Member number"), _("Outcome"), _("Prize"),
                     _("Points spent"), _("Points won"), _("Pickup / coupon"), _("Handed over")])
    cursor = None
    while True:
        page = catalog.draws_for_console(lottery_id, CSV_PAGE, cursor, **chosen)
        numbers = member_nos(d.member_id for d in page["items"])
        writer.writerows(_csv_row(draw, numbers) for draw in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=lottery-{lottery_id}-draws.csv"})


def _editor(current, form, status, **context):
    return render("lottery.html", status, form=form, lottery=current,
                  stock_form=context.pop("stock_form", None) or PrizeStockForm(formdata=None),
                  **context)


def _form_data(lottery) -> dict:
    zone = clock.business_tz()
    prizes = [{"id": str(p.id), "name": p.name, "kind": p.kind, "weight": p.weight,
               "stock": p.stock_left, "points": p.points, "product_id": p.product_id,
               "value": str(fen_to_yuan(p.value_fen)) if p.value_fen else ""}
              for p in lottery.prizes if p.active]
    return {"name": lottery.name, "description": lottery.description,
            "cost_points": lottery.cost_points,
            "starts_at": lottery.starts_at.astimezone(zone).replace(tzinfo=None),
            "ends_at": lottery.ends_at.astimezone(zone).replace(tzinfo=None),
            "daily_limit": lottery.daily_limit, "total_limit": lottery.total_limit,
            "store_codes": ", ".join(lottery.store_codes),
            "budget_points": lottery.budget_points,
            "budget": str(fen_to_yuan(lottery.budget_fen)) if lottery.budget_fen else "",
            "prizes": prizes}


def handed(status: str) -> str:
    return str(HANDED.get(status, status))


def _filters(lottery) -> DrawFilterForm:
    filters = DrawFilterForm(request.args)
    filters.prize_id.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(str(p.id), p.name) for p in lottery.prizes]
    return filters


def _chosen(filters) -> dict:
    prize = filters.prize_id.data
    return {"member_no": (filters.member_no.data or "").strip() or None,
            "prize_id": int(prize) if prize and prize.isdigit() else None,
            "status": filters.status.data or None}


def _csv_row(draw, numbers) -> list:
    redemption = draw.redemption
    return [local_time(draw.created_at), draw.id, numbers.get(draw.member_id, ""), draw.status,
            draw.prize_name or "", draw.points_spent, draw.points_won or "",
            (redemption.pickup_code or "") if redemption else "",
            handed(redemption.status) if redemption else ""]
