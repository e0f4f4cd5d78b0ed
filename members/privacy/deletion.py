"""Account cancellation (注销账号): a request, a cooling-off period the member may withdraw in,
then completion by the deletion job (members.privacy.erasure)."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import audit, clock
from core.db import db
from core.errors import Conflict
from members.models import Member
from members.privacy import erasure
from members.privacy.models import COMPLETED, PENDING, WITHDRAWN, DeletionRequest


def latest_request(member_id: int) -> DeletionRequest | None:
    return db.session.scalars(select(DeletionRequest).filter_by(member_id=member_id)
                              .order_by(DeletionRequest.id.desc()).limit(1)).first()


def _pending(member_id: int) -> DeletionRequest | None:
    return db.session.scalars(select(DeletionRequest).filter_by(open_member_id=member_id)
                              .execution_options(populate_existing=True)).first()


def request_deletion(member: Member) -> DeletionRequest:
    """Start cancelling the account: it completes MEMBER_DELETION_COOLING_OFF_DAYS from now
    unless withdrawn. Asking again while one is pending returns that one."""
    if (pending := _pending(member.id)) is not None:
        return pending
    now = clock.now()
    days = current_app.config["MEMBER_DELETION_COOLING_OFF_DAYS"]
    request = DeletionRequest(member_id=member.id, open_member_id=member.id, status=PENDING,
                              requested_at=now, completes_at=now + timedelta(days=days))
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:  # a concurrent request made it first
        return _pending(member.id)
    audit.record("member.deletion_request", "member", member.id,
                 after={"completes_at": request.completes_at.isoformat()})
    return request


def withdraw_deletion(member: Member) -> DeletionRequest:
    """Withdraw the pending request (409 invalid_state when there is none: never asked,
    withdrawn already, or completed)."""
    request = _pending(member.id)
    now = clock.now()
    withdrawn = request is not None and db.session.execute(
        update(DeletionRequest).where(DeletionRequest.id == request.id,
                                      DeletionRequest.status == PENDING)
        .values(status=WITHDRAWN, withdrawn_at=now, open_member_id=None)
        .execution_options(synchronize_session=False)).rowcount
    if not withdrawn:
        raise Conflict("There is no pending account deletion to withdraw.", code="invalid_state")
    db.session.refresh(request)
    audit.record("member.deletion_withdraw", "member", member.id)
    return request


def due(now, after_id: int = 0, limit: int = 100) -> list[int]:
    """Ids of pending requests whose cooling-off has ended (ascending, after the cursor)."""
    return list(db.session.scalars(
        select(DeletionRequest.id).where(DeletionRequest.status == PENDING,
                                         DeletionRequest.completes_at <= now,
                                         DeletionRequest.id > after_id)
        .order_by(DeletionRequest.id).limit(limit)))


def complete(request_id: int, now) -> bool:
    """Complete one due request: claimed by a guarded UPDATE (a withdrawal or another run
    that got there first leaves it alone: False), then the account is erased."""
    claimed = db.session.execute(
        update(DeletionRequest).where(DeletionRequest.id == request_id,
                                      DeletionRequest.status == PENDING,
                                      DeletionRequest.completes_at <= now)
        .values(status=COMPLETED, completed_at=now, open_member_id=None)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return False
    request = db.session.get(DeletionRequest, request_id, populate_existing=True)
    erasure.erase(db.session.get(Member, request.member_id, populate_existing=True))
    return True
