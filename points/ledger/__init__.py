"""The ledger: the only way points change. Other domains call what this module exports.

Each call is one atomic step inside the caller's transaction (flush only), keyed by an
idempotency key that is unique in the database. Every call locks the member's account first;
a call repeated with the same key returns the first call's entry and changes nothing.

Debt: a clawback that finds too few points leaves the balance negative (balance = −debt); the
next credits repay it first. While there is debt, no lot has points remaining.
"""
from points.ledger.accounts import (UNSET, Held, InsufficientPoints, count_points, entry_by_key,
                                    hold_account, hold_account_with_member, lock_account,
                                    member_read, open_account, survivor_id)
from points.ledger.balances import entry_reason, list_entries, my_points, spendable_balance
from points.ledger.corrections import adjust, merge_accounts
from points.ledger.credit import credit, touch_rolling
from points.ledger.debit import clawback, debit
from points.ledger.expiry import expire_due, expire_key, expire_member_due
from points.ledger.forfeit import forfeit
from points.ledger.funding import live_points_by_funder
from points.ledger.reverse import reverse
from points.ledger.schemas import AdjustmentIn

__all__ = [
    "UNSET", "Held", "InsufficientPoints", "adjust", "clawback", "count_points", "credit", "debit",
    "entry_by_key", "expire_due", "expire_key", "expire_member_due", "forfeit", "hold_account",
    "hold_account_with_member", "lock_account", "member_read", "merge_accounts", "open_account",
    "reverse", "survivor_id", "touch_rolling",
    # reads: what a member (or staff at the till) is shown
    "entry_reason", "list_entries", "my_points", "spendable_balance", "live_points_by_funder",
    # what a staff adjustment takes (the API's and the console's input)
    "AdjustmentIn",
]
