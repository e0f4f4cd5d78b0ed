"""The member directory (marketers, HQ): search and filter members, and a member's whole
record — profile, balance, lots with their expiry, points earned by month, tier history, the
ledger (paged, filtered), orders, redemptions, check-ins, invites and merged accounts — with
HQ's adjustment (the till's adjustment flow: the same form, schema and ledger call). Full phone
numbers are shown to HQ admins only; marketers see them masked.

(`console.members` is analytics' segment list and /console/members/<no> the till's member
card: this is /console/directory.)"""
from flask import flash, g, request
from flask_babel import lazy_gettext as _l

from console import session as console_session
from console.blueprint import bp
from console.forms import AdjustForm
from console.hq_forms import DirectoryForm, EntryFilterForm
from console.views import go, load, refusal, render
from console.views.adjust import ADJUSTMENT_IN
from core.errors import AppError, ValidationFailed
from core.pagination import decode_cursor
from mall.fulfilment import my_redemptions
from members.lookup import member_by_no
from points import directory as member_directory, ledger
from points.earning.member_orders import my_orders
from points.ledger import kinds
from points.programme import tier_history, tiers
from stores import service as stores_service
from stores.models import MARKETING
from tasks import export as task_records

HQ = ("hq_admin",)
PER_PAGE, ENTRIES_PER_PAGE, SECTION_ROWS = 50, 30, 20
#: why a tier changed (tier_history.REASONS), as the record names it
TIER_REASONS = {tier_history.EARNED: _l("Points earned reached the tier"),
                tier_history.REVIEW: _l("Periodic tier review"),
                tier_history.MERGE: _l("Members merged"),
                tier_history.RULES: _l("Tier rules changed")}


def full_phones() -> bool:
    return g.staff.role == "hq_admin"


def _cursor() -> str | None:
    cursor = request.args.get("cursor") or None
    try:
        return cursor and (decode_cursor(cursor) and cursor)
    except ValidationFailed:
        return None


@bp.get("/directory")
@console_session.staff_page(*MARKETING, store=False)
def directory():
    form = DirectoryForm(request.args)
    form.tier.choices = [("", _l("Any tier"))] + [(t.code, t.name) for t in tiers.list_tiers()]
    stores = [s for s in stores_service.list_stores(500, None)["items"]]
    form.store.choices = [("", _l("Any store"))] + [(s.code, s.name) for s in stores]
    filters = {k: v for k, v in request.args.items() if k != "cursor" and v}
    if not form.validate():
        page, status = {"items": [], "next_cursor": None}, 422
    else:
        store_id = next((s.id for s in stores if s.code == form.store.data), None)
        page, status = directory_page(form, store_id), 200
    return render("directory.html", status, form=form, page=page, filters=filters,
                  stores={s.id: s for s in stores}, full_phones=full_phones())


def directory_page(form, store_id) -> dict:
    return member_directory.find_members(
        q=form.q.data, tier=form.tier.data or None, store_id=store_id,
        bought_after=form.bought_after.data, bought_before=form.bought_before.data,
        balance_min=form.balance_min.data, balance_max=form.balance_max.data,
        limit=PER_PAGE, cursor=_cursor())


@bp.get("/directory/<member_no>")
@console_session.staff_page(*MARKETING, store=False)
def member_record(member_no):
    member = member_by_no(member_no)
    if member.member_no != member_no:  # a merged member's number: the member it joined
        return go("console.member_record", member_no=member.member_no)
    return _record(member)


def _record(member, status=200, **panels):
    filters = EntryFilterForm(request.args)
    filters.kind.choices = [("", _l("Every kind"))] + [(k, kinds.LABELS[k]) for k in kinds.ALL]
    ok = filters.validate()
    entries = ledger.list_entries(
        member.id, limit=ENTRIES_PER_PAGE, cursor=_cursor(),
        kind=filters.kind.data or None if ok else None,
        direction=filters.direction.data or None if ok else None,
        date_from=filters.date_from.data if ok else None,
        date_to=filters.date_to.data if ok else None)
    panels.setdefault("adjust_form", AdjustForm(formdata=None))
    store = stores_service.stores_by_ids([member.registered_store_id]
                                         if member.registered_store_id else [])
    return render(
        "member_record.html", status, member=member, points=ledger.my_points(member),
        lots=member_directory.live_lots(member.id),
        earned=member_directory.earned_by_month(member.id),
        tier_changes=tier_history.changes(member.id, limit=SECTION_ROWS)["items"],
        tier_reasons=TIER_REASONS,
        entries=entries, entry_filters=filters,
        entry_args={k: v for k, v in request.args.items() if k != "cursor" and v},
        orders=my_orders(member, limit=SECTION_ROWS)["items"],
        redemptions=my_redemptions(member.id, SECTION_ROWS, None, with_coupons=False)["items"],
        checkins=task_records.checkins(member)[-SECTION_ROWS:][::-1],
        invites=task_records.invites(member), merged=member_directory.merged_members(member.id),
        registered_at=store.get(member.registered_store_id), full_phones=full_phones(),
        **panels)


@bp.post("/directory/<member_no>/adjustments")
@console_session.staff_page(*HQ, store=False)
def record_adjust(member_no):
    """HQ corrects a balance from the member's record: recorded at no store (HQ's)."""
    member = member_by_no(member_no)
    form = AdjustForm()
    if not form.validate():
        return _record(member, 422, adjust_form=form)
    try:
        data = load(ADJUSTMENT_IN, {"delta": form.delta.data, "reason": form.reason.data})
        entry = ledger.adjust(member.id, data["delta"], reason=data["reason"], operator=g.staff,
                              store_id=None, key=f"adjust:console:{form.key.data}")
    except AppError as exc:
        return _record(member, exc.status, adjust_form=form,
                       adjust_refused=refusal(exc, "adjust"))
    flash({"kind": "adjust", "delta": entry.delta, "balance": entry.balance_after,
           "reason": entry.reason}, "result")
    return go("console.member_record", member_no=member.member_no)
