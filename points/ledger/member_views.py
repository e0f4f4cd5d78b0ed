"""The points and tier a member is shown with (GET /me, the staff's scan): members.api calls
these through its MEMBER_VIEWS, which app.py fills, since members imports nothing of points."""
from points.ledger import balances
from points.programme import tiers


def for_member(member) -> None:
    member.points = balances.points_summary(member.id)
    member.tier = tiers.tier_by_code(member.tier_code)


def for_staff(member) -> None:
    member.tier = tiers.tier_by_code(member.tier_code)
    member.points_balance = balances.spendable_balance(member.id)
