"""A correction of a member's balance by a store manager or HQ: a reason, confirmed, audited."""
from flask import flash, g

from console import session as console_session
from console.blueprint import bp
from console.forms import AdjustForm
from console.views import go, load, refusal
from console.views.till import render_card
from core.errors import AppError
from members.lookup import member_by_no
from points import ledger
from stores.models import ADJUSTERS

ADJUSTMENT_IN = ledger.AdjustmentIn()


@bp.post("/members/<member_no>/adjustments")
@console_session.staff_page(*ADJUSTERS)
def adjust(member_no):
    form = AdjustForm()
    if not form.validate():
        return render_card(member_no, 422, adjust_form=form)
    try:
        data = load(ADJUSTMENT_IN, {"delta": form.delta.data, "reason": form.reason.data,
                                    "store_code": g.store.code})
        member = member_by_no(member_no)
        entry = ledger.adjust(member.id, data["delta"], reason=data["reason"], operator=g.staff,
                              store_id=g.store.id, key=f"adjust:console:{form.key.data}")
    except AppError as exc:
        return render_card(member_no, exc.status, adjust_form=form,
                           adjust_refused=refusal(exc, "adjust"))
    flash({"kind": "adjust", "delta": entry.delta, "balance": entry.balance_after,
           "reason": entry.reason}, "result")
    return go("console.member", member_no=member_no)
