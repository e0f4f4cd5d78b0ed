"""Who is paying at the till: a member found by their dynamic member code, their member_no,
or their phone — an unknown phone registers a customer at this store (phone only), whose
points wait for them to bind that phone in the mini-program (members.service merges them)."""
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from core.errors import NotFound, ValidationFailed
from members import codes, numbers
from members.lookup import member_by_no, member_id_by_no, member_with_phone
from members.models import ORIGIN_STORE, STATUS_ACTIVE, Member
from points import ledger

MEMBER_KEYS = ("member_code", "member_no", "phone")

#: what recording an order reads of its member, with the account's lock (points.earning.orders), beside
#: the tier and first order that lock reads anyway; any other column loads if touched
ORDER_FIELDS = ("member_no", "status", "merged_into_id", "invited_by_id")


def member_reference(data: dict) -> tuple[str, str]:
    """The one way the request names the member: (key, value); 422 for none or several."""
    given = [(k, data[k]) for k in MEMBER_KEYS if data.get(k)]
    if len(given) != 1:
        raise ValidationFailed(details={"member_code": [
            "Send exactly one of member_code, member_no or phone."]})
    return given[0]


def find_member(data: dict, store, *, register: bool = False) -> tuple[Member, bool]:
    """(member, created): `created` when an unknown phone registered a customer here."""
    key, value = member_reference(data)
    if key == "member_code":
        return codes.member_by_code(value), False
    if key == "member_no":
        return member_by_no(value), False
    member = member_with_phone(value)
    if member is not None:
        return member, False
    if not register:
        raise NotFound("No member has this phone number.")
    return _register_by_phone(value, store)


def hold_payer(member: Member, now) -> tuple[Member, ledger.Held]:
    """Lock the member's account, then read the member afresh: a merge that held the account
    may have moved them meanwhile (a till customer binding their phone), and the order goes to
    the member they joined. Locking the merged account first adds no cycle: a merged account
    is never locked by a merge again."""
    for _ in range(5):
        held = ledger.hold_account(member.id, now)
        moved_to = ledger.survivor_id(member.id)
        if moved_to == member.id:
            return member, held
        member = db.session.get(Member, moved_to, populate_existing=True)
    return member, ledger.hold_account(member.id, now)


def named_member_id(data: dict) -> int | None:
    """The id a member code or number names, without reading the member's row (a merge not
    followed); None for a phone or an unknown number. 410/404 for a code, as find_member."""
    key, value = member_reference(data)
    if key == "member_code":
        return codes.member_id_by_code(value)
    return member_id_by_no(value) if key == "member_no" else None


def _register_by_phone(phone, store) -> tuple[Member, bool]:
    """Two tills registering one phone at once: the unique phone decides, the other reads it."""
    try:
        with db.session.begin_nested():
            member = Member(member_no=numbers.new_member_no(), invite_code=numbers.new_invite_code(),
                            phone=phone, origin=ORIGIN_STORE, status=STATUS_ACTIVE,
                            registered_store_id=store.id, created_at=clock.now())
            db.session.add(member)
            db.session.flush()
            ledger.open_account(member.id)
    except IntegrityError:
        return member_with_phone(phone, share_lock=True), False
    return member, True
