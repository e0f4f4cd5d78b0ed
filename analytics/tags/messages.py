"""The message action: a subscribe message to a member who entered the automation's tag, by the
reminders' machinery (points.reminders.recipients, wx.subscribe.deliver), at most once.

In the automation's transaction (`claim`): the member needs a mini-program openid and a unit of
consent for the template — without either nothing is sent, nothing is spent, and the action
says why (`no_consent`); with them the unit is used, the budget (in messages) is taken by the
guarded UPDATE, and the action is `sending`. After that transaction commits, `send` delivers the
chunk's messages and records each outcome in another: `sent`; `refused` (43101: the member's
units go to zero) or `failed` (the unit and the budget's message are given back). A `sending`
action is never sent again (a worker that died after claiming loses that message, as a
reminder would: at most once)."""
import logging

from flask import current_app
from sqlalchemy import select, update

from core import clock
from core.db import after_commit, db, run_in_transaction
from core.errors import ValidationFailed
from analytics.tags.models import Automation, AutomationAction
from points.reminders.models import FAILED, REFUSED, SENT
from points.reminders.recipients import recipients
from wx import templates
from wx.models import SubscribeTemplate
from wx.subscribe import deliver

log = logging.getLogger(__name__)
PURPOSE = "automation_message"
SENDING, NO_CONSENT = "sending", "no_consent"
_actions, _automations = AutomationAction.__table__, Automation.__table__


def check_template(template_id: str | None) -> None:
    """422 unless this is an active subscribe template for automation messages."""
    found = template_id and db.session.scalar(select(SubscribeTemplate.id).where(
        SubscribeTemplate.template_id == template_id,
        SubscribeTemplate.purpose == PURPOSE, SubscribeTemplate.active.is_(True)).limit(1))
    if not found:
        raise ValidationFailed(details={"template_id": [
            f"An active subscribe template for {PURPOSE} is required."]})


def claim(automation: Automation, member_id: int, take_budget) -> tuple[str, int]:
    """(outcome, cost) for one treated member: their consent unit used and a message of the
    budget taken (`take_budget(cost)` → bool), or why not."""
    book = recipients()
    if member_id not in book.openids([member_id]) or \
            not book.claim_quota([member_id], automation.template_id):
        return NO_CONSENT, 0
    if not take_budget(1):
        book.give_back([member_id], automation.template_id)
        return "over_budget", 0
    return SENDING, 1


def send_after_commit(automation_id: int, action_ids: list[int]) -> None:
    """Send these claimed messages once the chunk's transaction has committed (the job that
    fires the automation sends them itself, between its chunks)."""
    if action_ids:
        after_commit(lambda: send(automation_id, action_ids))


def send(automation_id: int, action_ids: list[int]) -> dict:
    """Deliver these claimed (`sending`) messages, then record how each went (a job)."""
    claimed = run_in_transaction(lambda: _claimed(automation_id, action_ids))
    if not claimed:
        return {}
    template, rows = claimed
    from points.reminders.jobs import make_sender  # the reminders' sender and token cache

    sender, config = make_sender(), current_app.config
    outcomes = [(row, deliver(sender, row["openid"], template.template_id, template.page,
                              row["data"], retries=config["REMINDER_RETRIES"],
                              backoff=config["REMINDER_RETRY_BACKOFF"])) for row in rows]
    return run_in_transaction(lambda: _record(automation_id, template.template_id, outcomes))


def _claimed(automation_id, action_ids):
    automation = db.session.get(Automation, automation_id)
    template = db.session.scalars(select(SubscribeTemplate).filter_by(
        template_id=automation.template_id, purpose=PURPOSE)).first()
    rows = db.session.execute(select(_actions.c.id, _actions.c.member_id).where(
        _actions.c.id.in_(action_ids), _actions.c.outcome == SENDING)).all()
    openids = recipients().openids(member_id for _id, member_id in rows)
    data = templates.render(template, {"title": automation.name,
                                       "date": clock.business_date()})
    db.session.expunge(template)
    return template, [{"id": i, "member_id": m, "openid": openids[m], "data": data}
                      for i, m in rows if m in openids]


def _record(automation_id, template_id, outcomes) -> dict:
    book, counts = recipients(), {}
    for row, delivery in outcomes:
        db.session.execute(update(_actions).where(_actions.c.id == row["id"]).values(
            outcome=delivery.status, errcode=delivery.errcode,
            cost=1 if delivery.status == SENT else 0))
        counts[delivery.status] = counts.get(delivery.status, 0) + 1
        if delivery.status != SENT:  # nothing reached the member: the message is not spent
            db.session.execute(update(_automations).where(_automations.c.id == automation_id)
                               .values(spent=_automations.c.spent - 1))
            log.warning("automation %s: message to member %s %s (errcode %s)", automation_id,
                        row["member_id"], delivery.status, delivery.errcode)
    book.zero_quota([r["member_id"] for r, d in outcomes if d.status == REFUSED], template_id)
    book.give_back([r["member_id"] for r, d in outcomes if d.status == FAILED], template_id)
    return counts
