"""The mall's background jobs (scheduled by app.py). Each owns its chunk loop, is idempotent and
returns a small summary for its log line; `flask mall …` runs them by hand."""
import logging
from collections import Counter
from datetime import date, datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import run_in_transaction
from core.errors import Conflict
from mall import cancellation, reminders, stock_gate
from points.reminders.jobs import make_sender
from points.reminders.recipients import recipients
from wx import templates
from wx.subscribe import deliver

log = logging.getLogger(__name__)


def rebuild_gate(chunk: int = 500) -> dict:
    """Every few minutes: copy each product's stock into the Redis gate (heals a gate left too
    low by a crash between gate and commit)."""
    return {"products": run_gate_rebuild(chunk)}


def expire_pickups(as_of: str | None = None) -> dict:
    """Daily: cancel gifts past their pickup deadline (by now, or by the end of business day
    `as_of`), points and stock returned."""
    now = clock.end_of_business_day(date.fromisoformat(as_of)) if as_of else clock.now()
    return {"redemptions_expired": run_pickup_expiry(now)}


def run_gate_rebuild(chunk: int = 500) -> int:
    """Copy every product's stock into the Redis gate, a chunk per transaction."""
    total, cursor = 0, 0
    while cursor is not None:
        done, cursor = run_in_transaction(lambda c=cursor: stock_gate.rebuild_chunk(c, chunk))
        total += done
    return total


def run_pickup_expiry(now: datetime, chunk: int = 200) -> int:
    """Cancel (as `expired`) every gift whose pickup deadline passed by `now`, points and
    stock returned: one transaction per redemption, so it never holds two members' rows and
    can be killed and rerun. Returns how many it expired."""
    expired = 0
    while ids := run_in_transaction(lambda: cancellation.due_unpicked(now, chunk)):
        for redemption_id in ids:
            try:
                run_in_transaction(lambda i=redemption_id: cancellation.expire_unpicked(i, now))
                expired += 1
            except Conflict:  # picked up or cancelled meanwhile
                log.info("redemption %s changed before it could expire", redemption_id)
        if len(ids) < chunk:
            break
    return expired


def pickup_reminders() -> dict:
    """Daily: remind members of gifts waiting for pickup whose deadline is near."""
    return send_reminders(reminders.PICKUP)


def coupon_reminders() -> dict:
    """Daily: remind members of unused coupons about to expire."""
    return send_reminders(reminders.COUPON)


def send_reminders(purpose: str, chunk: int = 200) -> dict:
    """Send the purpose's due reminders, a chunk at a time: claimed (recorded, consent used)
    in one transaction, sent, outcomes recorded in another. Rerun: only what is still due."""
    template = run_in_transaction(lambda: templates.active_template(purpose))
    if template is None:
        return {"skipped": f"no active template for {purpose}"}
    config, now, cursor = current_app.config, clock.now(), 0
    book, sender, totals = recipients(), make_sender(), Counter()
    while dues := run_in_transaction(lambda c=cursor: reminders.due(
            purpose, template.template_id, now, c, chunk)):
        cursor = dues[-1].subject_id
        try:
            claimed = run_in_transaction(lambda d=dues: reminders.claim(purpose, d, template, book))
        except IntegrityError:  # a concurrent run recorded some: they are its to send
            continue
        outcomes = [(c, deliver(sender, c.openid, template.template_id, template.page, c.data,
                                retries=config["REMINDER_RETRIES"],
                                backoff=config["REMINDER_RETRY_BACKOFF"])) for c in claimed]
        totals.update(run_in_transaction(
            lambda o=outcomes: reminders.record_outcomes(o, template, book)))
        totals["no_consent"] += len(dues) - len(claimed)
    return {k: v for k, v in totals.items() if v}
