"""Expiry reminders, run in this process against the fake WeChat server over real HTTP (the
embedded default's path; tests/points/reminders/test_worker.py runs them under a real RQ worker)."""
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import select

from core import clock
from core.db import db
from points.reminders import planning as reminders
from points.reminders.jobs import expiry_reminders, make_sender, plan_reminders, send_reminder_batch
from points.reminders.recipients import Recipients
from points.reminders.models import ExpiryReminder
from tests.concurrency import race
from tests.reminder_fixtures import (AS_OF, EXPIRY_DAY, LONG_TIP, SH, TEMPLATE_ID, expiring_member,
                                     fake_wechat, make_template, openid_of, reminder_clock)

pytestmark = pytest.mark.usefixtures("reminder_clock")
_ = fake_wechat, reminder_clock  # fixtures


def remind(as_of=AS_OF):
    return plan_reminders(as_of, enqueue_batches=False)


def statuses():
    db.session.expire_all()
    return {r.member_id: r.status for r in db.session.scalars(select(ExpiryReminder))}


def test_a_reminder_is_sent_with_the_templates_data(factory, fake_wechat):
    make_template(tip=LONG_TIP)
    member = expiring_member(factory, 120, other_points=30)
    factory.credit(member, 5, expires_at=None)

    result = remind()

    assert result["sent"] == 1
    [message] = fake_wechat.messages()
    assert message["touser"] == openid_of(member)
    assert message["template_id"] == TEMPLATE_ID
    assert message["page"] == "pages/points/index"
    assert message["data"] == {"thing1": {"value": LONG_TIP[:20]},
                               "number2": {"value": "120"},
                               "date3": {"value": "2026年3月8日"},
                               "number4": {"value": "155"}}
    assert statuses() == {member.id: "sent"}
    assert Recipients().remaining(member.id, TEMPLATE_ID) == 0


def test_members_without_consent_or_not_expiring_that_day_get_nothing(factory, fake_wechat):
    make_template()
    consented = expiring_member(factory)
    no_consent = expiring_member(factory, consent=0)
    later = expiring_member(factory, day=date(2026, 3, 9))

    result = remind()

    assert [m["touser"] for m in fake_wechat.messages()] == [openid_of(consented)]
    assert result["no_consent"] == 1
    assert statuses() == {consented.id: "sent"}
    assert Recipients().remaining(later.id, TEMPLATE_ID) == 1
    assert no_consent.id not in statuses()


def test_refused_43101_sets_the_quota_to_zero_and_is_not_retried(factory, fake_wechat):
    make_template()
    refusing = expiring_member(factory, consent=3)
    fake_wechat.refuse(openid_of(refusing))

    result = remind()

    assert result == {"expiry_date": "2026-03-08", "batches": 1, "refused": 1}
    assert fake_wechat.calls() == 1
    assert statuses() == {refusing.id: "refused"}
    assert Recipients().remaining(refusing.id, TEMPLATE_ID) == 0


def test_busy_minus_1_is_retried_then_sent_once(factory, fake_wechat):
    make_template()
    member = expiring_member(factory)
    fake_wechat.fail(times=2, errcode=-1)

    assert remind()["sent"] == 1
    assert fake_wechat.calls() == 3
    assert len(fake_wechat.messages()) == 1
    assert statuses() == {member.id: "sent"}


def test_busy_beyond_the_retries_is_failed_and_not_sent_again(app, factory, fake_wechat):
    make_template()
    member = expiring_member(factory, consent=2)
    fake_wechat.fail(times=10, errcode=-1)

    assert remind()["failed"] == 1
    assert fake_wechat.calls() == 1 + app.config["REMINDER_RETRIES"]
    assert remind().get("sent", 0) == 0  # at most once: the recorded reminder is not resent
    assert statuses() == {member.id: "failed"}


def test_network_errors_are_retried(factory, fake_wechat):
    make_template()
    expiring_member(factory)
    fake_wechat.fail(times=1, status=502)

    assert remind()["sent"] == 1
    assert len(fake_wechat.messages()) == 1


def test_an_invalid_token_is_refreshed_once(factory, fake_wechat):
    make_template()
    expiring_member(factory)
    make_sender().access_token()  # cached in Redis …
    fake_wechat.expire_tokens()   # … and then WeChat forgets it (40001)

    assert remind()["sent"] == 1
    assert len(fake_wechat.messages()) == 1
    assert fake_wechat.calls() == 2
    assert fake_wechat.calls("/cgi-bin/stable_token") == 2


def test_a_token_still_invalid_after_one_refresh_fails(factory, fake_wechat):
    make_template()
    expiring_member(factory)
    fake_wechat.fail(times=2, errcode=40001)

    assert remind()["failed"] == 1
    assert fake_wechat.calls() == 2


def test_a_rerun_sends_nothing_twice(factory, fake_wechat):
    make_template()
    members = [expiring_member(factory, consent=2) for _ in range(3)]

    remind()
    again = remind()

    assert again == {"expiry_date": "2026-03-08", "batches": 0}  # nothing left to plan
    assert sorted(m["touser"] for m in fake_wechat.messages()) == sorted(map(openid_of, members))
    assert all(Recipients().remaining(m.id, TEMPLATE_ID) == 1 for m in members)


def test_members_are_batched_not_one_job_each(app, factory, fake_wechat, monkeypatch):
    make_template()
    members = [expiring_member(factory) for _ in range(7)]
    monkeypatch.setitem(app.config, "REMINDER_BATCH_SIZE", 3)
    monkeypatch.setitem(app.config, "REMINDER_CLAIM_SIZE", 2)

    result = remind()

    assert result["batches"] == 3 and result["sent"] == 7
    assert sorted(m["touser"] for m in fake_wechat.messages()) == sorted(map(openid_of, members))


def test_a_bad_message_is_failed_not_retried(factory, fake_wechat):
    make_template()
    expiring_member(factory)
    fake_wechat.fail(times=1, errcode=47003)

    assert remind()["failed"] == 1
    assert fake_wechat.calls() == 1


def test_the_hourly_job_waits_for_the_reminder_hour(app, factory, fake_wechat, monkeypatch):
    monkeypatch.setitem(app.config, "RQ_ASYNC", False)
    make_template()
    expiring_member(factory)
    clock.set(datetime(2026, 3, 1, 9, 59, tzinfo=SH))
    assert "skipped" in expiry_reminders()
    clock.set(datetime(2026, 3, 1, 10, 0, tzinfo=SH))
    assert expiry_reminders()["batches"] == 1
    assert len(fake_wechat.messages()) == 1


def test_no_template_no_reminders(factory, fake_wechat):
    expiring_member(factory)
    assert "skipped" in remind()
    assert fake_wechat.messages() == []


def test_the_cli_reminds_as_of_a_date(app, factory, fake_wechat):
    make_template()
    member = expiring_member(factory)
    runner = app.test_cli_runner()

    early = runner.invoke(args=["points", "remind", "--as-of", "2026-02-28"])
    due = runner.invoke(args=["points", "remind", "--as-of", "2026-03-01"])

    assert early.exit_code == 0 and '"batches": 0' in early.output
    assert due.exit_code == 0 and '"sent": 1' in due.output
    assert [m["touser"] for m in fake_wechat.messages()] == [openid_of(member)]


def test_the_embedded_queue_runs_the_batches_in_process(app, factory, fake_wechat, monkeypatch):
    """No worker on the embedded default: RQ's synchronous queue runs each batch at once."""
    monkeypatch.setitem(app.config, "RQ_ASYNC", False)
    make_template()
    member = expiring_member(factory)

    result = plan_reminders(AS_OF, enqueue_batches=True)

    assert result["batches"] == 1
    assert [m["touser"] for m in fake_wechat.messages()] == [openid_of(member)]
    assert reminders.reminder_counts(EXPIRY_DAY) == {"sent": 1}


def test_consent_is_checked_again_when_the_batch_claims(factory, fake_wechat):
    make_template()
    member = expiring_member(factory)
    Recipients().claim_quota([member.id], TEMPLATE_ID)  # used elsewhere since planning

    assert send_reminder_batch(AS_OF.isoformat(), [member.id]) == {"no_consent": 1}
    assert fake_wechat.messages() == [] and statuses() == {}


@pytest.mark.committing
@pytest.mark.mariadb
def test_two_runs_racing_for_the_same_members_send_each_reminder_once(app, factory, fake_wechat,
                                                                      monkeypatch):
    """Both runs read the members as due before either records them: the unique key decides."""
    make_template()
    members = [expiring_member(factory, consent=2) for _ in range(20)]
    ids = [m.id for m in members]
    both_read, real_due_among = threading.Barrier(2), reminders.due_among

    def due_among_then_wait(*args):
        due = real_due_among(*args)
        if due:
            both_read.wait(timeout=10)
        return due

    monkeypatch.setattr(reminders, "due_among", due_among_then_wait)
    results = race(app, lambda i: send_reminder_batch(AS_OF.isoformat(), ids), 2)

    assert not any(isinstance(r, Exception) for r in results), results
    received = [m["touser"] for m in fake_wechat.messages()]
    assert sorted(received) == sorted(map(openid_of, members))  # each exactly once
    assert sum(r.get("sent", 0) for r in results) == 20


# --- consent is used only by a message WeChat took -------------------------------------------

def test_a_wrong_key_is_refused_at_configuration_and_forced_through_keeps_the_consent(
        factory, fake_wechat):
    from core.errors import ValidationFailed
    from tests.reminder_fixtures import FIELDS
    from wx import templates

    wrong = {**FIELDS, "number5": FIELDS["number4"]}
    del wrong["number4"]
    with pytest.raises(ValidationFailed):
        make_template(fields=wrong)
    templates.create_template({"purpose": "points_expiring", "template_id": TEMPLATE_ID,
                               "page": "pages/points/index", "fields": wrong, "tip": "快兑换"},
                              check_wechat=False)  # forced through
    db.session.commit()
    member = expiring_member(factory, consent=1)

    assert remind() == {"expiry_date": "2026-03-08", "batches": 1, "failed": 1}
    assert fake_wechat.messages() == []
    assert db.session.scalar(select(ExpiryReminder.errcode)) == 47003
    assert Recipients().remaining(member.id, TEMPLATE_ID) == 1  # given back


def _template_deleted(fake):
    fake.control("DELETE", f"/_fake/templates/{TEMPLATE_ID}")


def _page_unreleased(fake):
    fake.control("PUT", "/_fake/pages", {"pages": ["pages/index/index"]})


def _not_whitelisted(fake):
    fake.control("PUT", "/_fake/ip-whitelist", {"ips": ["203.0.113.7"]})


@pytest.mark.parametrize("wechat_breaks, errcode", [
    (_template_deleted, 40037),
    (_page_unreleased, 41030),
    (_not_whitelisted, 40164),
    (lambda fake: fake.fail(times=50, errcode=-1), -1),
    (lambda fake: fake.fail(times=50, status=502), -2),
    (lambda fake: fake.control("POST", "/_fake/quota", {
        "path": "/cgi-bin/message/subscribe/send", "daily": 0}), 45009),
])
def test_a_send_failing_for_a_reason_not_the_members_gives_the_consent_back(
        factory, fake_wechat, wechat_breaks, errcode):
    make_template()
    member = expiring_member(factory, consent=2)
    make_sender().access_token()  # a token from before WeChat broke
    wechat_breaks(fake_wechat)

    assert remind()["failed"] == 1
    assert db.session.scalar(select(ExpiryReminder.errcode)) == errcode
    assert Recipients().remaining(member.id, TEMPLATE_ID) == 2


def test_a_refusal_still_sets_the_consent_to_zero_and_a_send_uses_one(factory, fake_wechat):
    make_template()
    refusing, accepting = expiring_member(factory, consent=3), expiring_member(factory, consent=3)
    fake_wechat.refuse(openid_of(refusing))

    assert remind() == {"expiry_date": "2026-03-08", "batches": 1, "refused": 1, "sent": 1}
    assert Recipients().remaining(refusing.id, TEMPLATE_ID) == 0
    assert Recipients().remaining(accepting.id, TEMPLATE_ID) == 2


def test_a_token_invalid_40014_is_refreshed_once_for_a_reminder(factory, fake_wechat):
    make_template()
    expiring_member(factory)
    make_sender().access_token()
    fake_wechat.expire_tokens(errcode=40014)

    assert remind()["sent"] == 1
    assert fake_wechat.calls() == 2


def test_a_token_refresh_wechat_refuses_fails_the_message_not_the_batch(factory, fake_wechat):
    make_template()
    first, second = expiring_member(factory), expiring_member(factory)
    make_sender().access_token()
    fake_wechat.fail(times=1, errcode=40001)  # the token is refused, and a new one …
    _not_whitelisted(fake_wechat)              # … is refused to this server (40164)

    assert remind() == {"expiry_date": "2026-03-08", "batches": 1, "failed": 2}
    assert Recipients().remaining(first.id, TEMPLATE_ID) == 1
    assert Recipients().remaining(second.id, TEMPLATE_ID) == 1
    assert statuses() == {first.id: "failed", second.id: "failed"}  # none left `sending`
