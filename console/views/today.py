"""Today at this store: the shift's check-out sheet, on screen and as CSV."""
import csv
import io

from flask import Response, g
from flask_babel import gettext as _

from console import session as console_session
from console.blueprint import bp
from console.filters import local_time
from console.money import fen_to_yuan
from console.views import render
from core import clock
from mall import day_sheet as mall_day
from points.earning import day_sheet as till_day

SHOWN = 500  #: rows of each list on screen; the CSV has them all


def sheet(day, limit):
    store_id = g.store.id
    return {"day": day, "totals": {**till_day.totals(store_id, day), **mall_day.totals(store_id, day)},
            "orders": till_day.orders(store_id, day, limit),
            "refunds": till_day.refunds(store_id, day, limit),
            "deductions": till_day.deductions(store_id, day, limit),
            "pickups": mall_day.pickups(store_id, day, limit),
            "coupons": mall_day.coupons(store_id, day, limit)}


@bp.get("/today")
@console_session.staff_page()
def today():
    data = sheet(clock.business_date(), SHOWN)
    return render("today.html", **data, sections=list(_sections(data)), shown=SHOWN)


@bp.get("/today.csv")
@console_session.staff_page()
def today_csv():
    data = sheet(clock.business_date(), None)
    out = io.StringIO()
    out.write("\ufeff")  # UTF-8 with BOM: Excel then opens Chinese correctly
    writer = csv.writer(out)
    writer.writerow([_("Store"), g.store.code, g.store.name, _("Date"), data["day"].isoformat()])
    for title, header, rows in _sections(data):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    name = f"{g.store.code}-{data['day'].isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _yuan(fen):
    return "" if fen is None else str(fen_to_yuan(fen))


def _sections(data):
    yield (_("Orders"), [_("Time"), _("Order number"), _("Member number"), _("Amount (yuan)"),
                         _("Points earned"), _("Refunded (yuan)")],
           [[local_time(r.created_at), r.order_no, r.member_no, _yuan(r.amount_fen),
             r.points_earned, _yuan(r.refunded_fen)] for r in data["orders"]])
    yield (_("Refunds"), [_("Time"), _("Order number"), _("Refund number"), _("Amount (yuan)"),
                          _("Points taken back"), _("Points returned")],
           [[local_time(r.created_at), r.order_no, r.refund_no, _yuan(r.amount_fen),
             r.points_reversed, r.deduction_points_returned] for r in data["refunds"]])
    yield (_("Paid with points"), [_("Time"), _("Order number"), _("Member number"),
                                   _("Points"), _("Deducted (yuan)")],
           [[local_time(r.created_at), r.order_no, r.member_no, r.points, _yuan(r.deduct_fen)]
            for r in data["deductions"]])
    yield (_("Gifts picked up"), [_("Time"), _("Pickup code"), _("Member number"), _("Gift"),
                                  _("Quantity"), _("Cash collected (yuan)")],
           [[local_time(r.fulfilled_at), r.pickup_code, r.member_no, r.title, r.quantity,
             _yuan(r.cash_fen)] for r in data["pickups"]])
    yield (_("Coupons written off"), [_("Time"), _("Coupon code"), _("Member number"),
                                      _("Coupon"), _("Deducted (yuan)")],
           [[local_time(r.used_at), r.code, r.member_no, r.title, _yuan(r.deduct_fen)]
            for r in data["coupons"]])
