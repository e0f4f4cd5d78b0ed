"""Consent with its version: GET /legal/current, POST /me/consents, HQ's publishing, and a
new member's registration (and its bonus) waiting for the policy to be accepted."""
from datetime import timedelta

import pytest

from core import clock
from core.db import db
from members.models import ORIGIN_STORE
from points.ledger.models import PointsAccount
from points.programme.settings import update_settings
from tasks import service as tasks_service


@pytest.fixture
def hq(staff_client):
    return staff_client("hq_admin")


@pytest.fixture
def published(hq):
    """publish(kind, version) → POST /admin/legal-documents as HQ."""

    def publish(kind="privacy", version="v1", **extra):
        body = {"kind": kind, "version": version, "title": f"{kind} {version}",
                "url": f"https://example.com/{kind}-{version}.html", **extra}
        response = hq.post("/admin/legal-documents", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    publish("privacy"), publish("terms")
    return publish


def accept(me, document, version="v1"):
    return me.post("/me/consents", {"document": document, "version": version})


def test_the_documents_in_force_are_public(client, published):
    published("privacy", "v2", effective_at=(clock.now() + timedelta(days=3)).isoformat())
    documents = client.get("/legal/current").get_json()["documents"]
    assert [(d["kind"], d["version"]) for d in documents] == [("privacy", "v1"), ("terms", "v1")]
    clock.set(clock.now() + timedelta(days=3, seconds=1))
    documents = client.get("/legal/current").get_json()["documents"]
    assert [(d["kind"], d["version"]) for d in documents] == [("privacy", "v2"), ("terms", "v1")]


def test_registration_and_its_bonus_wait_for_every_document(login, published, factory):
    update_settings({"registration_bonus": 100})
    tasks_service.save_task({"kind": "referral", "title": "invite", "config": {
        "inviter_points": 30, "invitee_points": 20, "trigger": "register"}})
    db.session.commit()
    inviter = factory.member()
    response, me = login("o-careful", invite_code=inviter.invite_code)
    body = response.get_json()
    assert body["member"]["status"] == "pending"
    assert {d["kind"] for d in body["consents_due"]} == {"privacy", "terms"}
    refused = me.get("/me/points")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "consent_required"
    assert me.patch("/me", {"nickname": "x"}).status_code == 403
    assert me.get("/me").get_json()["status"] == "pending"

    assert accept(me, "privacy").get_json()["member_status"] == "pending"
    assert me.get("/me/points").status_code == 403
    done = accept(me, "terms").get_json()
    assert done["member_status"] == "active" and done["consents_due"] == []
    assert me.get("/me/points").get_json()["balance"] == 100 + 20
    assert db.session.get(PointsAccount, inviter.id, populate_existing=True).balance == 30
    accept(me, "terms")  # accepting again pays nothing more
    assert me.get("/me/points").get_json()["balance"] == 120


def test_without_a_published_policy_the_first_login_registers(login):
    response, me = login("o-early")
    assert response.get_json()["member"]["status"] == "active"
    assert response.get_json()["consents_due"] == []
    assert me.get("/me/points").status_code == 200


def test_only_the_version_in_force_can_be_accepted(login, published):
    _, me = login("o-versions")
    wrong = accept(me, "privacy", "v0")
    assert wrong.status_code == 409
    assert wrong.get_json()["error"]["details"] == {"current_version": "v1"}
    assert accept(me, "cookies").status_code == 422
    assert me.post("/me/consents", {"document": "privacy"}).status_code == 422


def test_a_new_version_asks_registered_members_again_without_stopping_them(
        login, published):
    _, me = login("o-loyal")
    accept(me, "privacy"), accept(me, "terms")
    published("privacy", "v2")
    due = me.get("/me").get_json()["consents_due"]
    assert [(d["kind"], d["version"]) for d in due] == [("privacy", "v2")]
    assert me.get("/me/points").status_code == 200
    accept(me, "privacy", "v2")
    history = me.get("/me/consents").get_json()
    assert [(c["document"], c["version"]) for c in history["items"]] == \
        [("privacy", "v1"), ("terms", "v1"), ("privacy", "v2")]
    assert history["consents_due"] == []


def test_a_till_customer_consents_before_their_points_merge(login, published, factory):
    till_customer = factory.member(phone="13700001111", points=80)
    till_customer.origin = ORIGIN_STORE
    db.session.commit()
    _, me = login("o-from-till")
    assert me.post("/me/phone", {"code": "fakephone:13700001111"}).status_code == 403
    accept(me, "privacy"), accept(me, "terms")
    merged = me.post("/me/phone", {"code": "fakephone:13700001111"})
    assert merged.get_json()["merged_member_no"] == till_customer.member_no


def test_only_hq_publishes_and_a_document_needs_a_url_or_text(staff_client, hq):
    body = {"kind": "privacy", "version": "v9", "title": "p"}
    assert staff_client("marketer").post("/admin/legal-documents",
                                         {**body, "text": "t"}).status_code == 403
    assert hq.post("/admin/legal-documents", body).status_code == 422
    assert hq.post("/admin/legal-documents",
                   {**body, "url": "http://example.com/p"}).status_code == 422
    assert hq.post("/admin/legal-documents", {**body, "text": "t"}).status_code == 201
    assert hq.post("/admin/legal-documents", {**body, "text": "t2"}).status_code == 409
    assert hq.get("/admin/legal-documents").status_code == 200


def test_consents_need_a_member_token(client):
    assert client.post("/me/consents", {"document": "privacy", "version": "v1"}).status_code == 401
