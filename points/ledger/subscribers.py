"""The ledger's reactions to other domains' events."""
from core import events
from points import ledger
from points.programme.settings import get_settings


@events.subscribe("member.registered")
def pay_registration_bonus(member, invite_code=None, store=None):
    """`registration_bonus` for a new WeChat member (a customer registered at a till gets it
    with their first order: points.earning.orders)."""
    bonus = get_settings()["registration_bonus"]
    if bonus:
        ledger.credit(member.id, bonus, kind="bonus", key=f"registration:{member.id}",
                              store_id=store.id if store else None, reason="registration bonus")
