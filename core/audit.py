"""The audit log: who changed what, before/after, and why. Written by every privileged change."""
from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import JSON, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, BigId, UTCDateTime, db


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_store_id_id", "store_id", "id"),  # a store's entries
                      Index("ix_audit_log_actor_name_id", "actor_name", "id"))  # one person's

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: "staff", "member", "pos" or "system"
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    #: a dotted verb, e.g. "store.create", "points.adjust", "member.merge"
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    #: the store the change was made at or for, when there is one (a store manager sees the
    #: entries of their stores); null for group-wide changes
    store_id: Mapped[int | None] = mapped_column(BigId)


def record(action: str, target_type: str, target_id, *, before=None, after=None, reason=None,
           actor=None, store_id=None) -> AuditEntry:
    """Add an audit row in the current transaction. `actor` defaults to the caller of the
    request; `store_id`: the store the change was made at or for, if any."""
    actor_type, actor_id, actor_name = actor or _current_actor()
    entry = AuditEntry(
        created_at=clock.now(), actor_type=actor_type, actor_id=actor_id, actor_name=actor_name,
        action=action, target_type=target_type, target_id=str(target_id), store_id=store_id,
        before=before, after=after, reason=reason,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def snapshot(row, fields) -> dict:
    """`fields` of `row` as the audit log's before/after (times as ISO strings)."""
    return {f: v.isoformat() if isinstance(v := getattr(row, f), datetime) else v for f in fields}


ERASED = "[erased]"


def forget(target_type: str, target_ids, values) -> int:
    """Erase personal data from the before/after of the audit rows about these targets: every
    string containing one of `values` (e.g. a deleted member's phone, in any spelling) becomes
    "[erased]". Returns how many rows changed."""
    values = [v for v in values if v]
    rows = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == target_type,
        AuditEntry.target_id.in_([str(t) for t in target_ids]))) if values else []
    changed = 0
    for row in rows:
        before, after = _erased(row.before, values), _erased(row.after, values)
        if (before, after) != (row.before, row.after):
            row.before, row.after, changed = before, after, changed + 1
    db.session.flush()
    return changed


def _erased(value, values):
    if isinstance(value, dict):
        return {k: _erased(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_erased(v, values) for v in value]
    if isinstance(value, str) and any(v in value for v in values):
        return ERASED
    return value


def _current_actor():
    staff = g.get("staff") if has_request_context() else None
    if staff is not None:
        return ("staff", staff.id, staff.username)
    member_id = g.get("member_id") if has_request_context() else None
    if member_id is not None:
        return ("member", member_id, None)
    return ("system", None, None)
