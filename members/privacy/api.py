"""PIPL endpoints: the legal documents in force (public) and HQ's publishing of them; the
member's consents, account deletion and a copy of their data."""
import json

from flask import Response, g

from core.api import blueprint, documents
from core.auth import member_required, public, staff_required
from core.errors import NotFound
from members.lookup import current_member
from members.privacy import consent, deletion, export
from members.privacy.schemas import (AdminDocumentOut, ConsentAnswer, ConsentHistory, LegalConsentIn,
                                     CurrentDocumentsOut, DeletionOut, DocumentIn, ExportArgs)

legal_blp = blueprint("legal", __name__, prefix="/legal",
                      description="The privacy policy and member terms in force (public).")
me_blp = blueprint("privacy_me", __name__, prefix="/me",
                   description="Consent, account deletion (注销) and a copy of my data.")
admin_blp = blueprint("legal_admin", __name__, prefix="/admin/legal-documents",
                      description="HQ publishes versions of the privacy policy and terms.")
JSON_FILE = {"content": {"application/json": {"schema": {"type": "object"}}}}


@legal_blp.get("/current")
@legal_blp.response(200, CurrentDocumentsOut)
@public
def current_documents():
    """The version of each document in force: the mini-program shows them before the first
    login completes, and again whenever a version changes."""
    return {"documents": consent.current_documents()}


@me_blp.post("/consents")
@member_required
@me_blp.arguments(LegalConsentIn)
@me_blp.response(200, ConsentAnswer)
@documents(me_blp, 401, 409, 422, auth="member")
def accept(data):
    """Accept the version in force of a document (409 `invalid_state` with `current_version`
    for any other). Once every current document is accepted, a new member's registration
    completes (`member_status` active; the registration bonus is paid)."""
    member = current_member(pending_ok=True)
    row = consent.accept(member, data["document"], data["version"])
    return {"kind": row.kind, "version": row.version, "accepted_at": row.accepted_at,
            "member_status": member.status, "consents_due": consent.due_for(member.id)}


@me_blp.get("/consents")
@member_required
@me_blp.response(200, ConsentHistory)
@documents(me_blp, 401, auth="member")
def consent_history():
    """Every acceptance, oldest first, and what is still to be accepted."""
    member = current_member(pending_ok=True)
    return {"items": consent.history(member.id), "consents_due": consent.due_for(member.id)}


@me_blp.post("/deletion")
@member_required
@me_blp.response(200, DeletionOut)
@documents(me_blp, 401, auth="member")
def request_deletion():
    """Cancel my account: it is deleted after the cooling-off period (default 7 days) unless
    withdrawn. Then: personal data erased, pending gifts cancelled, coupons voided, remaining
    points forfeited, every token refused; a later WeChat login starts a new account."""
    return deletion.request_deletion(current_member(pending_ok=True))


@me_blp.delete("/deletion")
@member_required
@me_blp.response(200, DeletionOut)
@documents(me_blp, 401, 409, auth="member")
def withdraw_deletion():
    """Withdraw the pending deletion (409 `invalid_state` if none is pending)."""
    return deletion.withdraw_deletion(current_member(pending_ok=True))


@me_blp.get("/deletion")
@member_required
@me_blp.response(200, DeletionOut)
@documents(me_blp, 401, 404, auth="member")
def deletion_status():
    """My latest deletion request (404 if I never asked)."""
    request = deletion.latest_request(current_member(pending_ok=True).id)
    if request is None:
        raise NotFound("You have not asked to delete your account.")
    return request


@me_blp.get("/export")
@member_required
@me_blp.arguments(ExportArgs, location="query")
@me_blp.response(200, description="Every record the member has, by section: profile, wechat, "
                                  "consents, subscriptions, deletion_requests, points, orders, "
                                  "redemptions, coupons, checkins, task_claims, invites, "
                                  "reminders.", content_type="application/json")
@documents(me_blp, 401, 429, auth="member")
def export_my_data(args):
    """A copy of my data, as JSON; `download=true` gives it as a file. Once every 10 minutes
    (429 with Retry-After)."""
    member = current_member(pending_ok=True)
    export.take_export_turn(member.id)
    body = json.dumps(export.export(member), ensure_ascii=False, indent=2 if args["download"] else None)
    headers = {"Cache-Control": "no-store"}
    if args["download"]:
        headers["Content-Disposition"] = f'attachment; filename="jifen-{member.member_no}.json"'
    return Response(body, mimetype="application/json", headers=headers)


@admin_blp.get("")
@staff_required("hq_admin", "marketer")
@admin_blp.response(200, AdminDocumentOut(many=True))
@documents(admin_blp, 401, 403, auth="staff")
def list_documents():
    return consent.list_documents()


@admin_blp.post("")
@staff_required("hq_admin")
@admin_blp.arguments(DocumentIn)
@admin_blp.response(201, AdminDocumentOut)
@documents(admin_blp, 401, 403, 409, 422, auth="staff")
def publish(data):
    """Publish a version (never changed later: a new text is a new version). Members accept
    it at their next login; new members' registration waits for it."""
    return consent.publish(data, g.staff)
