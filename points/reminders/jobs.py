"""Expiry reminders' jobs (scheduled by app.py): plan who is due, send in batches, each member
at most once per expiry date. Sending itself is wx.subscribe's."""
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from flask import current_app
from sqlalchemy.exc import IntegrityError

from core import clock, metrics
from core.db import run_in_transaction
from core.logs import log_event
from core.worker import enqueue
from points.programme.settings import get_settings
from points.reminders import planning as reminders
from points.reminders.models import SENT
from points.reminders.recipients import recipients
from wx.subscribe import HttpSubscribeSender, deliver

log = logging.getLogger(__name__)


def expiry_reminders(force: bool = False) -> dict:
    """Hourly: from settings reminders.hour (business time) on, plan today's reminders. Reruns
    later in the day send only what is still due (consent given since, a worker that died)."""
    hour = int(get_settings()["reminders"]["hour"])
    now = clock.now()
    if not force and now.astimezone(clock.business_tz()).hour < hour:
        return {"skipped": f"before reminders.hour ({hour}:00)"}
    return plan_reminders(clock.business_date(now), enqueue_batches=True)


def remind_on(as_of: str | None = None, *, enqueue_batches: bool = False) -> dict:
    """The reminders due on business day `as_of` (YYYY-MM-DD; default today)."""
    day = date.fromisoformat(as_of) if as_of else clock.business_date()
    return plan_reminders(day, enqueue_batches=enqueue_batches)


def plan_reminders(as_of: date, *, enqueue_batches: bool) -> dict:
    """Split the members still to be reminded of points expiring reminders.days_before days
    after `as_of` — and reachable: an openid and consent left — into batches of
    REMINDER_BATCH_SIZE members: one job each (or run here, `enqueue_batches` False). Run again,
    it plans only who is still due, so an hourly rerun costs one scan and no jobs."""
    template = run_in_transaction(reminders.active_template)
    if template is None:
        log.warning("no active subscribe template for %s: no reminders sent", reminders.PURPOSE)
        return {"skipped": f"no active template for {reminders.PURPOSE}"}
    day = reminders.expiry_date_for(as_of, int(get_settings()["reminders"]["days_before"]))
    size, book = current_app.config["REMINDER_BATCH_SIZE"], recipients()
    totals, pending, cursor = Counter(batches=0), [], 0
    while cursor is not None:
        due = run_in_transaction(lambda c=cursor: reminders.members_due(
            day, template.template_id, c, size))
        reachable = run_in_transaction(lambda d=due: book.reachable(d, template.template_id))
        totals["no_consent"] += len(due) - len(reachable)
        pending += sorted(reachable)
        cursor = due[-1] if due else None
        while len(pending) >= size or (cursor is None and pending):
            batch, pending = pending[:size], pending[size:]
            if enqueue_batches:
                enqueue("points.reminders.jobs:send_reminder_batch", as_of.isoformat(), batch)
            else:
                totals.update(send_reminder_batch(as_of.isoformat(), batch))
            totals["batches"] += 1
    return {"expiry_date": day.isoformat(), "batches": totals.pop("batches"),
            **{k: v for k, v in totals.items() if v}}


def send_reminder_batch(as_of: str, member_ids: list[int]) -> dict:
    """Remind these members of their points expiring reminders.days_before days after `as_of`,
    REMINDER_CLAIM_SIZE at a time: claimed (recorded, consent used) in one transaction, sent,
    outcomes recorded in another."""
    config = current_app.config
    template = run_in_transaction(reminders.active_template)
    if template is None:
        return {"skipped": f"no active template for {reminders.PURPOSE}"}
    day = reminders.expiry_date_for(date.fromisoformat(as_of),
                                    int(get_settings()["reminders"]["days_before"]))
    due = run_in_transaction(lambda: reminders.due_among(day, template.template_id, member_ids))
    book, sender, totals = recipients(), make_sender(), Counter()
    size = config["REMINDER_CLAIM_SIZE"]
    with ThreadPoolExecutor(max_workers=config["REMINDER_SEND_THREADS"]) as pool:
        for start in range(0, len(due), size):
            claimed, skipped = _claim(due[start:start + size], day, template, book)
            outcomes = _deliver_all(pool, sender, template, claimed)
            counts = run_in_transaction(
                lambda: reminders.record_outcomes(outcomes, template, book))
            for outcome, n in counts.items():
                metrics.count("jifen_reminders_total", n, outcome=outcome)
            totals.update(counts, no_consent=skipped)
    return {k: v for k, v in totals.items() if v}


def _claim(due, day, template, book, attempts=3):
    """The claim transaction; if a concurrent run recorded some of these members first, reread
    who is still due and try again."""
    for attempt in range(attempts):
        try:
            return run_in_transaction(lambda: reminders.claim(due, day, template, book))
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            still = dict(run_in_transaction(lambda: reminders.due_among(
                day, template.template_id, [m for m, _ in due])))
            due = [(m, p) for m, p in due if m in still]


def _deliver_all(pool, sender, template, claimed) -> list:
    config = current_app.config

    def one(c):
        return c, deliver(sender, c.openid, template.template_id, template.page, c.data,
                          retries=config["REMINDER_RETRIES"],
                          backoff=config["REMINDER_RETRY_BACKOFF"])

    outcomes = list(pool.map(one, claimed))
    for c, d in outcomes:
        if d.status != SENT:
            log_event(log, "reminder_not_sent", level=logging.WARNING, member_id=c.member_id,
                      status=d.status, errcode=d.errcode, attempts=d.attempts)
    return outcomes


def make_sender():
    """The subscribe sender, sharing wx.client's token cache with the rest of the app."""
    return HttpSubscribeSender.from_config(current_app.config)
