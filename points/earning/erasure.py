"""A deleted member's phone leaves the orders' items (a POS may have put it in a line)."""
from sqlalchemy import or_, select

from core import events
from core.db import db
from members.models import Member
from points.earning.models import Order


def phone_spellings(phone: str | None) -> list[str]:
    """How a phone may appear in what a POS sent: E.164, and a mainland number without +86."""
    if not phone:
        return []
    return [phone, phone[3:]] if phone.startswith("+86") else [phone]


def erase_phone_from_items(member_id: int, phone: str | None) -> int:
    """Drop every item field holding the phone from the orders of the member and of the till
    customers merged into them; returns how many orders changed."""
    spellings = phone_spellings(phone)
    if not spellings:
        return 0
    ids = select(Member.id).where(or_(Member.id == member_id, Member.merged_into_id == member_id))
    changed = 0
    for order in db.session.scalars(select(Order).where(Order.member_id.in_(ids))):
        items = [{k: v for k, v in item.items() if not _holds(v, spellings)}
                 if isinstance(item, dict) else item for item in order.items or []]
        if items != order.items:
            order.items, changed = items, changed + 1
    db.session.flush()
    return changed


def _holds(value, spellings) -> bool:
    return isinstance(value, str) and any(s in value for s in spellings)


@events.subscribe("member.deleting")
def on_member_deleting(member):
    erase_phone_from_items(member.id, member.phone)
