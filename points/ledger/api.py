"""A member's points and history; staff corrections of a balance."""
import uuid

from flask import g

from core.api import blueprint, documents
from core.auth import member_required, require_store_access, staff_required
from core.errors import ValidationFailed
from core.idempotency import idempotent
from core.pagination import page_schema
from points import ledger
from points.ledger import balances
from points.ledger.schemas import AdjustmentIn, AdjustmentOut, EntriesArgs, EntryOut, MyPointsOut
from members.lookup import current_member, member_by_no
from stores import service as stores_service
from stores.models import ADJUSTERS

me_blp = blueprint("points_me", __name__, prefix="/me/points",
                   description="A member's points: balance, expiring points, history.")
staff_blp = blueprint("points_staff", __name__, prefix="/staff/members",
                      description="Staff corrections of a member's balance.")


@me_blp.get("")
@me_blp.response(200, MyPointsOut)
@documents(me_blp, 401, auth="member")
@member_required
def my_points():
    return balances.my_points(current_member())


@me_blp.get("/entries")
@me_blp.arguments(EntriesArgs, location="query")
@me_blp.response(200, page_schema(EntryOut, "EntryPage"))
@documents(me_blp, 401, auth="member")
@member_required
def my_entries(args):
    """Newest first; `from` / `to` are business dates, inclusive."""
    return balances.list_entries(current_member().id, **args)


@staff_blp.post("/<member_no>/adjustments")
@staff_required(*ADJUSTERS)
@idempotent(required=False)  # outside the response decorator: it stores the serialised response
@staff_blp.arguments(AdjustmentIn)
@staff_blp.response(201, AdjustmentOut)
@documents(staff_blp, 401, 403, 404, 409, auth="staff")
def adjust(data, member_no):
    """Managers (for their store) and HQ; a reason is required; audited. Send an
    `Idempotency-Key` so a retried request does not adjust twice."""
    member = member_by_no(member_no)
    store = _adjusting_store(data.get("store_code"))
    entry = ledger.adjust(member.id, data["delta"], reason=data["reason"], operator=g.staff,
                           store_id=store.id if store else None, key=f"adjust:{uuid.uuid4().hex}")
    entry.member_no = member.member_no
    return entry


def _adjusting_store(store_code):
    staff = g.staff
    if store_code:
        store = stores_service.get_store(store_code)
        require_store_access(staff, store)
        return store
    if staff.is_hq:
        return None
    if len(staff.stores) != 1:
        raise ValidationFailed(details={"store_code": ["Say which of your stores this is for."]})
    return staff.stores[0]
