"""The reminders' section of a member's data copy (members.privacy.export; wired by app.py)."""
from sqlalchemy import select

from core.db import db
from members.privacy.export import plain_rows
from points.reminders.models import ExpiryReminder


def for_member(member) -> list[dict]:
    """The expiry reminders sent (or tried) to the member."""
    return plain_rows(db.session.scalars(select(ExpiryReminder).where(
        ExpiryReminder.member_id == member.id).order_by(ExpiryReminder.id)),
        ("expiry_date", "template_id", "points", "status", "created_at"))
