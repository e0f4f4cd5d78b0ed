"""Consent with its version: the documents HQ publishes (privacy policy, member terms) and
members' acceptances. A new WeChat member's registration completes — `member.registered`, the
registration bonus, a referral — only once every current document is accepted; a new version
asks again (members already registered are asked, not stopped). While nothing is published
(a fresh development install), registration completes at the first login."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, clock, config_cache, events
from core.db import db
from core.errors import Conflict, ValidationFailed
from members.models import STATUS_ACTIVE, STATUS_PENDING, Member
from members.privacy.models import DOCUMENT_KINDS, Consent, LegalDocument
from stores.models import Store

DOCUMENT_FIELDS = ("id", "kind", "version", "title", "url", "text", "effective_at")


def _documents() -> list:
    """Every published document as plain data, oldest effective first (cached)."""
    return config_cache.cached_rows(
        "legal-documents",
        lambda: select(LegalDocument).order_by(LegalDocument.effective_at, LegalDocument.id),
        DOCUMENT_FIELDS)


def current_documents() -> list:
    """The version of each kind in force now: the latest whose effective_at has come."""
    now, current = clock.now(), {}
    for document in _documents():
        if document.effective_at <= now:
            current[document.kind] = document
    return [current[kind] for kind in DOCUMENT_KINDS if kind in current]


def due_for(member_id: int) -> list:
    """The current documents the member has not accepted (in the version in force)."""
    accepted = set(db.session.execute(select(Consent.kind, Consent.version)
                                      .where(Consent.member_id == member_id)).tuples())
    return [d for d in current_documents() if (d.kind, d.version) not in accepted]


def accept(member: Member, kind: str, version: str) -> Consent:
    """Record the member's acceptance of the version in force (409 invalid_state naming the
    current version for any other). A pending member whose acceptances are now complete is
    registered. Accepting again returns the first acceptance."""
    current = next((d for d in current_documents() if d.kind == kind), None)
    if current is None or current.version != version:
        raise Conflict("This is not the version in force; accept the current one.",
                       code="invalid_state",
                       details={"current_version": current.version if current else None})
    consent = _accepted(member.id, kind, version) or _record(member.id, kind, version)
    if member.status == STATUS_PENDING and not due_for(member.id):
        complete_registration(member)
    return consent


def _accepted(member_id, kind, version) -> Consent | None:
    return db.session.scalars(select(Consent).filter_by(member_id=member_id, kind=kind,
                                                        version=version)).first()


def _record(member_id, kind, version) -> Consent:
    consent = Consent(member_id=member_id, kind=kind, version=version, accepted_at=clock.now())
    try:
        with db.session.begin_nested():
            db.session.add(consent)
    except IntegrityError:  # the same acceptance sent twice at once
        return _accepted(member_id, kind, version)
    return consent


def complete_registration(member: Member) -> None:
    """The member becomes active and is announced as registered, with the invite code and
    store the first login came with (the bonus and a referral follow)."""
    member.status, invite_code = STATUS_ACTIVE, member.signup_invite_code
    member.signup_invite_code = None
    db.session.flush()
    store = db.session.get(Store, member.registered_store_id) if member.registered_store_id else None
    events.emit("member.registered", member=member, invite_code=invite_code, store=store)


def history(member_id: int) -> list[Consent]:
    return list(db.session.scalars(select(Consent).filter_by(member_id=member_id)
                                   .order_by(Consent.id)))


# --- HQ -------------------------------------------------------------------------------------

def publish(data: dict, staff) -> LegalDocument:
    """Publish a new version (409 if the kind has it already); effective now unless
    `effective_at` says later. Audited."""
    if not data.get("url") and not data.get("text"):
        raise ValidationFailed(details={"url": ["Give the document's url or its text."]})
    now = clock.now()
    document = LegalDocument(**{**data, "effective_at": data.get("effective_at") or now},
                             published_by_id=staff.id, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(document)
    except IntegrityError:
        raise Conflict(f"{data['kind']} version {data['version']} is published already; "
                       "publish a new version.", code="invalid_state") from None
    audit.record("legal.publish", "legal_document", document.id,
                 after=audit.snapshot(document, ("kind", "version", "title", "url",
                                                 "effective_at")))
    return document


def list_documents() -> list[LegalDocument]:
    return list(db.session.scalars(select(LegalDocument).order_by(LegalDocument.id.desc())))


def legal_health() -> str:
    """/healthz detail: the versions in force, or a warning that none is published."""
    current = current_documents()
    if not any(d.kind == "privacy" for d in current):
        return "no privacy policy published: new members register without consent"
    return "ok: " + ", ".join(f"{d.kind} {d.version}" for d in current)
