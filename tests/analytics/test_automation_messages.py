"""The message action: a subscribe message once per member who enters the tag, only with an
openid and a unit of consent (else nothing, recorded why), within a budget of messages, with the
holdout; WeChat's refusal or failure recorded, the consent and the budget's message given back."""
from sqlalchemy import select

from core.db import db
from analytics import jobs
from analytics.tags.models import Automation, AutomationAction
from points.reminders.recipients import Recipients
from tests.reminder_fixtures import fake_wechat
from wx import templates

_ = fake_wechat  # fixture
TEMPLATE = "tpl-automation"
FIELDS = {"thing1": "title", "date2": "date", "thing3": "tip"}


def offer(fake):
    fake.add_template(TEMPLATE, tuple(FIELDS))
    templates.create_template({"purpose": "automation_message", "template_id": TEMPLATE,
                               "fields": FIELDS, "page": "pages/index/index",
                               "tip": "新品上市，欢迎到店"})
    db.session.commit()


def member(factory, consent=1, openid=True):
    made = factory.member()
    if openid:
        factory.wechat(made)
    if consent:
        factory.consent(made, TEMPLATE, consent)
    return made


def automation(client, budget=10, holdout=0):
    tag = client.post("/admin/tags", {"name": "tea fans", "kind": "manual"}).get_json()
    body = {"name": "新茶到店", "tag_id": tag["id"], "action": "message", "budget": budget,
            "holdout_percent": holdout}
    return tag["id"], body


def enter(client, tag_id, people):
    client.post(f"/admin/tags/{tag_id}/members", {"member_nos": [m.member_no for m in people]})


def outcomes(automation_id):
    return {a.member_id: (a.outcome, a.errcode) for a in db.session.scalars(
        select(AutomationAction).filter_by(automation_id=automation_id))}


def test_a_message_once_per_member_with_consent_and_why_the_others_got_none(
        fake_wechat, factory, staff_client):
    client = staff_client("marketer")
    tag_id, body = automation(client)
    assert client.post("/admin/automations", body).status_code == 422  # which template?
    assert client.post("/admin/automations", {**body, "template_id": TEMPLATE}).status_code == 422
    offer(fake_wechat)  # now an active automation_message template
    auto = client.post("/admin/automations", {**body, "template_id": TEMPLATE}).get_json()
    assert (auto["action"], auto["template_id"]) == ("message", TEMPLATE)
    willing, no_consent, no_openid = (member(factory), member(factory, consent=0),
                                      member(factory, openid=False))
    enter(client, tag_id, [willing, no_consent, no_openid])
    assert jobs.tags_and_automations()["automation_actions"] == 3
    assert jobs.tags_and_automations()["automation_actions"] == 0  # a rerun sends nothing
    [message] = fake_wechat.messages()
    assert message["touser"] == f"openid-{willing.id}"
    assert message["template_id"] == TEMPLATE
    assert message["data"]["thing1"]["value"] == "新茶到店"
    assert outcomes(auto["id"]) == {willing.id: ("sent", None),
                                    no_consent.id: ("no_consent", None),
                                    no_openid.id: ("no_consent", None)}
    assert Recipients().remaining(willing.id, TEMPLATE) == 0  # the unit was used
    results = client.get(f"/admin/automations/{auto['id']}/results").get_json()
    assert results["spent"] == 1
    assert results["outcomes"] == {"sent": 1, "no_consent": 2}


def test_the_budget_counts_messages_and_a_refusal_or_failure_gives_it_back(
        fake_wechat, factory, staff_client):
    offer(fake_wechat)
    client = staff_client("marketer")
    tag_id, body = automation(client, budget=2)
    auto = client.post("/admin/automations", {**body, "template_id": TEMPLATE}).get_json()
    refuser, failing = member(factory, consent=3), member(factory, consent=3)
    fake_wechat.refuse(f"openid-{refuser.id}")
    enter(client, tag_id, [refuser])
    jobs.tags_and_automations()
    fake_wechat.fail(1, errcode=47003)
    enter(client, tag_id, [failing])
    jobs.tags_and_automations()
    assert outcomes(auto["id"]) == {refuser.id: ("refused", 43101),
                                    failing.id: ("failed", 47003)}
    assert Recipients().remaining(refuser.id, TEMPLATE) == 0  # WeChat holds no consent
    assert Recipients().remaining(failing.id, TEMPLATE) == 3  # the unit given back
    db.session.expire_all()
    assert db.session.get(Automation, auto["id"]).spent == 0  # nothing reached anyone
    late = [member(factory) for _ in range(3)]
    enter(client, tag_id, late)
    jobs.tags_and_automations()
    got = outcomes(auto["id"])
    assert sorted(got[m.id][0] for m in late) == ["over_budget", "sent", "sent"]
    over = next(m for m in late if got[m.id][0] == "over_budget")
    assert Recipients().remaining(over.id, TEMPLATE) == 1  # not used for a message not sent
    assert len(fake_wechat.messages()) == 2


def test_held_out_members_get_no_message(fake_wechat, factory, staff_client):
    offer(fake_wechat)
    client = staff_client("marketer")
    tag_id, body = automation(client, budget=100, holdout=50)
    auto = client.post("/admin/automations", {**body, "template_id": TEMPLATE}).get_json()
    people = [member(factory) for _ in range(12)]
    enter(client, tag_id, people)
    jobs.tags_and_automations()
    got = outcomes(auto["id"])
    held = {m.id for m in people if got[m.id][0] == "holdout"}
    assert 0 < len(held) < 12
    sent_to = {m["touser"] for m in fake_wechat.messages()}
    assert sent_to == {f"openid-{m.id}" for m in people if m.id not in held}
    assert all(Recipients().remaining(m, TEMPLATE) == 1 for m in held)
