"""Members: WeChat login, phone binding (and merging a store-registered member), profile,
subscription consent. WeChat is called before anything is written, so a failed call leaves
nothing behind."""
import logging
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, clock, events
from core.db import db
from core.errors import Conflict, Unauthenticated, ValidationFailed, WechatError
from media import service as media
from members import numbers
from members.lookup import follow_merges
from members.models import (ORIGIN_STORE, ORIGIN_WECHAT, STATUS_ACTIVE, STATUS_MERGED,
                            STATUS_PENDING, Member, SubscribeConsent, WechatIdentity)
from members.privacy import consent
from stores.models import Store
from wx import client as wx, templates as wx_templates

log = logging.getLogger(__name__)
#: WeChat: invalid code (40029), code already used (40163)
BAD_CODE = (40029, 40163)
BIRTHDAY_CHANGE_EVERY = timedelta(days=365)


def _exchange(code: str) -> dict:
    try:
        return wx.client().code_to_session(code)
    except WechatError as exc:
        if exc.details.get("errcode") in BAD_CODE:
            raise Unauthenticated("This login code is invalid or was already used.") from None
        raise


def login(code: str, invite_code: str | None = None, store_code: str | None = None):
    """Find or create the member of this WeChat login code: (member, is_new). A new member
    keeps the store and invite code it came with; `member.registered` is emitted for it."""
    session = _exchange(code)
    appid, now = current_app.config["WECHAT_APPID"], clock.now()
    identity = _identity(appid, session["openid"])
    is_new = False
    if identity is None:
        identity, is_new = _new_identity(appid, session, invite_code, store_code, now)
    identity.session_key = session["session_key"]  # replaced on every login
    identity.last_login_at = now
    if session.get("unionid") and not identity.unionid:
        identity.unionid = session["unionid"]
    db.session.flush()
    return follow_merges(db.session.get(Member, identity.member_id)), is_new


def _identity(appid, openid, *, lock=False):
    query = select(WechatIdentity).filter_by(appid=appid, openid=openid)
    return db.session.scalars(query.with_for_update() if lock else query).first()


def _new_identity(appid, session, invite_code, store_code, now):
    """A first login: link to the member of the same unionid, or register a new member. Two
    first logins at once: the unique (appid, openid) decides; the loser reads the winner's."""
    unionid = session.get("unionid")
    sibling = db.session.scalars(select(WechatIdentity).filter_by(unionid=unionid)).first() \
        if unionid else None
    try:
        with db.session.begin_nested():
            member = db.session.get(Member, sibling.member_id) if sibling else \
                _register(invite_code, store_code, now)
            identity = WechatIdentity(member_id=member.id, appid=appid, openid=session["openid"],
                                      unionid=unionid, created_at=now, last_login_at=now)
            db.session.add(identity)
            db.session.flush()
    except IntegrityError:
        return _identity(appid, session["openid"], lock=True), False
    if sibling is None and member.status == STATUS_ACTIVE:
        events.emit("member.registered", member=member, invite_code=invite_code,
                    store=db.session.get(Store, member.registered_store_id)
                    if member.registered_store_id else None)
    return identity, sibling is None


def _register(invite_code, store_code, now) -> Member:
    """A new member: pending (the invite code kept) while a privacy policy is published and
    not yet accepted — registration completes on acceptance (members.privacy.consent)."""
    store = db.session.scalars(select(Store).filter_by(code=store_code)).first() \
        if store_code else None
    waits = bool(consent.current_documents())
    member = Member(member_no=numbers.new_member_no(), invite_code=numbers.new_invite_code(),
                    origin=ORIGIN_WECHAT, status=STATUS_PENDING if waits else STATUS_ACTIVE,
                    signup_invite_code=invite_code if waits else None, created_at=now,
                    registered_store_id=store.id if store else None)
    db.session.add(member)
    db.session.flush()
    return member


def bind_phone(member: Member, code: str) -> tuple[Member, Member | None]:
    """Bind the phone WeChat returns for `code`, kept in E.164 (+<country code><number>); the
    member's openid goes with the code, so WeChat refuses another user's. A store-registered
    member with that phone is merged into this one (points and their expiry kept, audited, its
    member_no resolving here; returned second); a phone bound to another WeChat member → 409
    phone_taken."""
    phone = _phone_of(code, _openid(member))
    if member.phone == phone:
        return member, None
    holder = db.session.scalars(select(Member).filter_by(phone=phone)).first()
    merged = None
    if holder is not None:
        if holder.origin != ORIGIN_STORE:
            raise Conflict("This phone number is bound to another member.", code="phone_taken")
        merged = merge_customer(holder, member, phone)
    member.phone = phone
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # bound by someone else a moment ago
        raise Conflict("This phone number is bound to another member.", code="phone_taken") from None
    events.emit("member.phone_bound", member=member, merged=merged)
    return member, merged


def _openid(member: Member) -> str | None:
    """The member's openid in this mini-program (WeChat checks a phone code is theirs)."""
    return db.session.scalar(select(WechatIdentity.openid).filter_by(
        member_id=member.id, appid=current_app.config["WECHAT_APPID"]))


def _phone_of(code: str, openid: str | None) -> str:
    try:
        return wx.client().user_phone_number(code, openid)
    except WechatError as exc:
        if exc.details.get("errcode") in BAD_CODE:
            raise ValidationFailed(details={"code": ["This phone code is invalid or expired."]}) from None
        raise


def merge_customer(holder: Member, member: Member, phone: str) -> Member:
    """Merge the till customer holding `phone` into `member`. The lock order is the till's:
    the points accounts first (the ledger moves the points on member.merging), then the member
    rows; a customer merged by a concurrent binding of the same phone → 409 phone_taken."""
    events.emit("member.merging", source=holder, target=member)
    holder = db.session.scalars(select(Member).filter_by(id=holder.id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    if holder.status == STATUS_MERGED or holder.phone != phone:
        raise Conflict("This phone number is bound to another member.", code="phone_taken")
    return _mark_merged(holder, member)


def _mark_merged(source: Member, target: Member) -> Member:
    """Mark `source` merged into `target` (its points were moved on member.merging)."""
    before = {"status": source.status, "phone": source.phone}
    source.status, source.merged_into_id, source.phone = STATUS_MERGED, target.id, None
    target.registered_store_id = target.registered_store_id or source.registered_store_id
    target.birthday = target.birthday or source.birthday
    firsts = [t for t in (target.first_order_at, source.first_order_at) if t]
    target.first_order_at = min(firsts) if firsts else None  # not "new" after a merge
    db.session.flush()
    audit.record("member.merge", "member", source.id, before=before,
                 after={"status": STATUS_MERGED, "merged_into": target.member_no},
                 reason="phone bound in the mini-program")
    return source


def update_profile(member: Member, changes: dict) -> Member:
    """Nickname, avatar, birthday (a change at most once a year), gender. Emits
    `member.profile_completed` the first time nickname, avatar and birthday are all set."""
    now = clock.now()
    if "birthday" in changes and changes["birthday"] != member.birthday:
        _check_birthday(member, changes["birthday"], now)
        member.birthday, member.birthday_set_at = changes.pop("birthday"), now
    changes.pop("birthday", None)
    for name, value in changes.items():
        setattr(member, name, value)
    if member.profile_completed_at is None and member.nickname and member.avatar_url \
            and member.birthday:
        member.profile_completed_at = now
        db.session.flush()
        events.emit("member.profile_completed", member=member)
    db.session.flush()
    return member


def set_avatar(member: Member, data: bytes) -> Member:
    """Store the uploaded picture as the member's avatar (413 too large, 422 not an image):
    decoded, re-encoded, square-fitted; the previous upload is deleted. Counts towards the
    profile like PATCH /me."""
    previous = member.avatar_url
    upload = media.store_image(data, "avatar", ("member", member.id))
    update_profile(member, {"avatar_url": upload.url})
    media.forget(previous)
    return member


def _check_birthday(member, birthday: date, now) -> None:
    today = clock.business_date(now)
    if birthday >= today or birthday.year < 1900:
        raise ValidationFailed(details={"birthday": ["A real date in the past, please."]})
    if member.birthday and member.birthday_set_at and \
            now - member.birthday_set_at < BIRTHDAY_CHANGE_EVERY:
        next_change = clock.business_date(member.birthday_set_at + BIRTHDAY_CHANGE_EVERY)
        raise Conflict("A birthday can be changed once a year.", code="invalid_state",
                       details={"next_change": next_change.isoformat()})


def answer_subscription(member: Member, template_id: str, accepted: bool) -> int:
    """The member's answer to wx.requestSubscribeMessage for a template the mini-program may
    ask for (GET /subscribe-templates; 422 for any other id); returns the sends allowed."""
    if not wx_templates.is_offered(template_id):
        raise ValidationFailed(details={"template_id": [
            "Not a template the mini-program may ask for (GET /api/v1/subscribe-templates)."]})
    return record_consent(member, template_id, accepted)


def record_consent(member: Member, template_id: str, accepted: bool) -> int:
    """One answer to a one-time subscription request; returns the sends now allowed."""
    consent = _consent_row(member.id, template_id)
    if accepted:
        consent.remaining += 1
        consent.accepted_count += 1
    else:
        consent.refused_count += 1
    consent.updated_at = clock.now()
    db.session.flush()
    return consent.remaining


def _consent_row(member_id, template_id) -> SubscribeConsent:
    query = select(SubscribeConsent).filter_by(member_id=member_id, template_id=template_id) \
        .with_for_update()
    consent = db.session.scalars(query).first()
    if consent is None:
        try:
            with db.session.begin_nested():
                consent = SubscribeConsent(member_id=member_id, template_id=template_id,
                                           remaining=0, accepted_count=0, refused_count=0,
                                           updated_at=clock.now())
                db.session.add(consent)
        except IntegrityError:  # a concurrent first answer created it
            consent = db.session.scalars(query).one()
    return consent
