"""The actions of one-off tasks that the server verifies, as they stand now.

`first_order` stands while the member (or a till customer merged into them) has an order not
fully refunded; `first_redemption` while they have a redemption not cancelled or expired. A
claim checks the action as it stands then.
"""
from sqlalchemy import exists, or_, select

from core.db import db
from mall.models import FULFILLED, PENDING, Redemption
from members.models import Member
from points.earning_models import Order


def _member_ids(member):
    return select(Member.id).where(or_(Member.id == member.id, Member.merged_into_id == member.id))


def has_standing_order(member) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Order.member_id.in_(_member_ids(member)), Order.refunded_fen < Order.amount_fen))))


def has_standing_redemption(member) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Redemption.member_id == member.id, Redemption.status.in_((PENDING, FULFILLED))))))
