"""The ledger's reactions to other domains' events."""
from core import events
from points import ledger
from points.programme.settings import get_settings


@events.subscribe("member.registered")
def pay_registration_bonus(member, invite_code=None, store=None):
    """A new WeChat member's account, and `registration_bonus` (a customer registered at a till
    gets it with their first order: points.earning.orders)."""
    ledger.open_account(member.id)
    bonus = get_settings()["registration_bonus"]
    if bonus:
        ledger.credit(member.id, bonus, kind="bonus", key=f"registration:{member.id}",
                              store_id=store.id if store else None, reason="registration bonus")


@events.subscribe("member.merging")
def merge_accounts(source, target):
    """Everything the till customer's account holds moves to the member who bound the phone."""
    ledger.merge_accounts(source.id, target.id, key=f"merge:{source.id}")


#: how the member's history names the forfeiture
FORFEIT_REASON = "账户注销，剩余积分作废"


@events.subscribe("member.deleted")
def forfeit_balance(member):
    """A deleted account keeps no points: the balance leaves as a `forfeit` entry."""
    ledger.forfeit(member.id, reason=FORFEIT_REASON)
