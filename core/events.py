"""In-process domain events, so the domain that acts need not know who reacts (the task centre
pays a referral when identity registers a member or earning records a first order).

Handlers run synchronously, inside the emitter's transaction: a reward is paid in the same
transaction as the event that triggered it, or not at all. A handler that must reach outside
the database queues its side effect with core.db.after_commit.
"""
from collections import defaultdict
from importlib import import_module

#: every event, with what its handlers receive (keyword arguments)
EVENTS = {
    "member.registered": "member, invite_code (str|None), store (Store|None): a new WeChat "
                         "member's registration is complete (at the first login, or once they "
                         "accept the current privacy policy when one is published)",
    "member.phone_bound": "member, merged (Member|None: the store-registered member whose "
                          "points were merged into this one, if the phone was already known)",
    "member.merging": "source, target (Member): source, a customer a till registered by phone, is "
                      "being merged into target (the ledger moves its points first)",
    "member.deleting": "member: the member's account deletion is being completed; each domain "
                       "gives back or ends what the member holds (pending gifts cancelled, "
                       "coupons voided, referrals refused) and erases personal data it keeps "
                       "(phones in orders' items); rerun safely",
    "member.deleted": "member: after member.deleting, in the same transaction: the ledger "
                      "forfeits the remaining balance; personal fields are cleared next",
    "member.profile_completed": "member: nickname, avatar and birthday are all set",
    "order.recorded": "member, order, first (bool: the member's first order)",
    "redemption.created": "member, redemption, first (bool: the member's first redemption)",
    "order.refunded": "order, fully (bool: the refunds now add up to the whole order)",
    "redemption.cancelled": "redemption: cancelled by the member or staff, or expired unpicked "
                            "(points and stock returned)",
}

_handlers: dict[str, list] = defaultdict(list)


def subscribe(name: str):
    if name not in EVENTS:
        raise KeyError(f"unknown event {name!r}; declare it in core.events.EVENTS")

    def decorator(handler):
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return decorator


def emit(name: str, **payload) -> None:
    if name not in EVENTS:
        raise KeyError(f"unknown event {name!r}")
    for handler in list(_handlers[name]):
        handler(**payload)


def load_subscribers(modules) -> None:
    """Import the modules whose handlers subscribe when imported (app.py names them)."""
    for module in modules:
        import_module(module)
