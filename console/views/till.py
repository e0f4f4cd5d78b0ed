"""The till's first two pages: scan (find the member) and the member card."""
from flask import g, request

from console import session as console_session
from console.blueprint import bp
from console.forms import AdjustForm, PurchaseForm, QuoteForm, ScanForm
from console.views import go, refusal, render
from core.errors import AppError
from mall import fulfilment
from members import codes
from members.lookup import member_by_no, member_by_phone
from members.phones import to_e164
from points import ledger

ENTRIES_PER_PAGE = 20
HELD_PER_LIST = 10


def find_member(typed: str):
    """The member a scanned or typed value names: a member code (410 once expired), a phone,
    or a member number — the lookups the API's staff endpoints use."""
    value = typed.strip()
    if codes.looks_like_code(value):
        return codes.member_by_code(value)
    if to_e164(value) is not None:
        return member_by_phone(value)
    return member_by_no(value)


@bp.route("/scan", methods=["GET", "POST"])
@console_session.staff_page()
def scan():
    form = ScanForm()
    if request.method == "GET" or not form.validate():
        return render("scan.html", 422 if form.errors else 200, form=form)
    try:
        member = find_member(form.code.data)
    except AppError as exc:
        return render("scan.html", exc.status, form=form, refused=refusal(exc, "scan"))
    return go("console.member", member_no=member.member_no)


def card(member, cursor=None) -> dict:
    """What the member card shows; every read bounded by an index, whatever the history."""
    return {
        "member": member,
        "points": ledger.my_points(member),
        "entries": ledger.list_entries(member.id, limit=ENTRIES_PER_PAGE, cursor=cursor),
        "coupons": fulfilment.my_coupons(member.id, HELD_PER_LIST, None, status="unused"),
        "pickups": fulfilment.my_redemptions(member.id, HELD_PER_LIST, None, status="pending",
                                             with_coupons=False),
    }


def render_card(member_no, status=200, member=None, **panels):
    """The member card page, with forms (fresh unless given) and result/refusal panels;
    `member` when the view has already looked it up."""
    member = member if member is not None else member_by_no(member_no)
    panels.setdefault("purchase_form", PurchaseForm(formdata=None))
    panels.setdefault("quote_form", QuoteForm(formdata=None))
    panels.setdefault("adjust_form", AdjustForm(formdata=None))
    return render("member.html", status, **card(member, request.args.get("cursor")), **panels)


@bp.get("/members/<member_no>")
@console_session.staff_page()
def member(member_no):
    found = member_by_no(member_no)
    if found.member_no != member_no:  # a merged member's number: show the one it joined
        return go("console.member", member_no=found.member_no)
    g.member_no = member_no
    return render_card(member_no, member=found)
