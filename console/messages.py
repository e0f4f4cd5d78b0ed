"""The API's errors as messages a cashier understands: by error code, then by what the page
was doing (a 410 is an expired member code on the scan page, an expired coupon at the
write-off), then by what the details say (which store, what status, how much)."""
from flask_babel import gettext as _, lazy_gettext as _l

from console.filters import local_time
from console.money import format_yuan
from core.errors import AppError

BY_CODE = {
    "bad_request": _l("The request could not be processed."),
    "unauthenticated": _l("Wrong username or password."),
    "forbidden": _l("You do not act for this store."),
    "not_found": _l("Not found."),
    "insufficient_points": _l("The member does not have enough points."),
    "limit_exceeded": _l("Over the limit."),
    "invalid_state": _l("This cannot be done now."),
    "code_expired": _l("This code has expired."),
    "validation_error": _l("Please check what you entered."),
    "idempotency_mismatch": _l("This number was already used with different content."),
    "request_in_progress": _l("The same request is still being processed; wait a moment."),
    "rate_limited": _l("Too many failed attempts; try again in %(minutes)s minute(s)."),
}

#: (what the page was doing, code) → message
IN_CONTEXT = {
    ("scan", "code_expired"): _l("This member code has expired: ask the customer to refresh "
                                 "it in the mini-program and show it again."),
    ("scan", "not_found"): _l("No member found: check the member code, phone or member number."),
    ("pickup", "not_found"): _l("No gift has this pickup code."),
    ("pickup", "code_expired"): _l("This pickup code has expired; the points were returned to "
                                   "the member."),
    ("coupon", "not_found"): _l("No coupon has this code."),
    ("coupon", "code_expired"): _l("This coupon has expired."),
    ("order", "idempotency_mismatch"): _l("This order number was already recorded with a "
                                          "different amount or items."),
    ("refund", "not_found"): _l("No order with this number at this store."),
    ("refund", "idempotency_mismatch"): _l("This refund was already recorded with another "
                                           "amount."),
    ("deduction", "invalid_state"): _l("Points cannot be used as cash in this programme."),
    ("deduction", "idempotency_mismatch"): _l("Points were already used on this order number "
                                              "with different content."),
    ("adjust", "insufficient_points"): _l("The member has fewer points than you want to take "
                                          "off."),
    ("store", "not_found"): _l("No open store has this code."),
}

STATUSES = {"fulfilled": _l("picked up"), "cancelled": _l("cancelled"), "expired": _l("expired"),
            "used": _l("used"), "pending": _l("waiting for pickup"), "unused": _l("unused")}


def describe(error: AppError, doing: str) -> str:
    """What to tell the person at the till about `error`, raised while `doing` something."""
    details = error.details or {}
    if error.code == "rate_limited":
        return _(BY_CODE["rate_limited"], minutes=max(1, -(-details.get("retry_after", 60) // 60)))
    if (found := _from_details(error.code, details)) is not None:
        return found
    message = IN_CONTEXT.get((doing, error.code)) or BY_CODE.get(error.code)
    return str(message) if message else error.message


def _over_guardrail(limit: dict) -> str:
    """A store campaign or product over HQ's store policy: the limit, named."""
    if "max_multiplier" in limit:
        return _("HQ's guardrails allow at most ×%(limit)s.", limit=f"{limit['max_multiplier']:g}")
    if "max_bonus_points" in limit:
        return _("HQ's guardrails allow at most %(limit)s bonus points per order.",
                 limit=limit["max_bonus_points"])
    return _("HQ's guardrails do not allow this for your store.")


ROLES = {"hq_admin": _l("HQ admin"), "marketer": _l("marketer"),
         "store_manager": _l("store manager"), "cashier": _l("cashier")}


def _from_details(code, details) -> str | None:
    if code == "validation_error" and "limit" in details:
        return _over_guardrail(details["limit"])
    if code == "forbidden" and "roles" in details:
        return _("Only these roles may do this: %(roles)s.",
                 roles=", ".join(str(ROLES.get(r, r)) for r in details["roles"]))
    if code == "limit_exceeded" and "max_deduct_fen" in details:
        return _("At most %(amount)s of this order can be paid with points.",
                 amount=format_yuan(details["max_deduct_fen"]))
    if code != "invalid_state":
        return None
    if "task_id" in details:
        return _("Task %(id)s of this kind is active; deactivate it first.", id=details["task_id"])
    if "status" in details:
        status = STATUSES.get(details["status"], details["status"])
        if details.get("at"):
            return _("Already %(status)s (%(at)s).", status=status, at=_iso_local(details["at"]))
        return _("Already %(status)s.", status=status)
    if "store_code" in details:
        return _("This gift is to be picked up at store %(store)s.", store=details["store_code"])
    if "store_codes" in details:
        return _("Not valid at this store.")
    if "min_spend_fen" in details:
        return _("This coupon needs an order of at least %(amount)s.",
                 amount=format_yuan(details["min_spend_fen"]))
    if "refundable_fen" in details:
        return _("At most %(amount)s of this order can still be refunded.",
                 amount=format_yuan(details["refundable_fen"]))
    return None


def _iso_local(text: str) -> str:
    from datetime import datetime

    return local_time(datetime.fromisoformat(text))


def status_name(status: str) -> str:
    return str(STATUSES.get(status, status))
