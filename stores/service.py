"""Stores, staff accounts and POS API keys."""
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, clock
from core.auth import (check_login_throttle, clear_login_failures, encrypt_secret, hash_password,
                       issue_staff_token, record_login_failure, verify_password)
from core.audit import AuditEntry
from core.db import db
from core.pagination import paginate
from core.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from core.guards import guard
from stores.models import ApiKey, Staff, Store

STORE_FIELDS = ("code", "name", "brand", "active", "address", "latitude", "longitude", "hours",
                "phone", "pickup")
STAFF_FIELDS = ("username", "role", "active", "store_codes")


def _snapshot(obj, names):
    return {n: getattr(obj, n) for n in names}


def list_stores(limit, cursor):
    return paginate(db.session, select(Store), Store.id, limit=limit, cursor=cursor, descending=False)


def list_staff(limit, cursor):
    return paginate(db.session, select(Staff), Staff.id, limit=limit, cursor=cursor, descending=False)


def audit_log(limit, cursor, *, store_ids=None, date_from=None, date_to=None, **filters):
    """The audit log, newest first, filtered by action / target_type / target_id / actor_name
    (equal), business dates `date_from`..`date_to` (inclusive), and — for a store manager —
    `store_ids`: only the entries made at or for those stores."""
    stmt = select(AuditEntry).filter_by(**filters)
    if store_ids is not None:
        stmt = stmt.where(AuditEntry.store_id.in_(store_ids))
    if date_from:
        stmt = stmt.where(AuditEntry.created_at >= clock.start_of_business_day(date_from))
    if date_to:
        stmt = stmt.where(AuditEntry.created_at <= clock.end_of_business_day(date_to))
    return paginate(db.session, stmt, AuditEntry.id, limit=limit, cursor=cursor)


def login(username: str, password: str) -> tuple[str, Staff]:
    """A staff token for good credentials; 401 otherwise, 429 after repeated failures."""
    check_login_throttle(username)
    staff = db.session.scalars(select(Staff).filter_by(username=username)).one_or_none()
    if staff is None or not staff.active or not verify_password(staff.password_hash, password):
        record_login_failure(username)
        raise Unauthenticated("Wrong username or password.")
    clear_login_failures(username)
    return issue_staff_token(staff), staff


# --- stores ---------------------------------------------------------------------------------

def get_store(code: str, *, active_only: bool = False) -> Store:
    store = db.session.scalars(select(Store).filter_by(code=code)).one_or_none()
    if store is None or (active_only and not store.active):
        raise NotFound(f"No store with code {code}.")
    return store


def stores_by_codes(codes) -> list[Store]:
    """The stores with these codes; 422 naming any code that does not exist."""
    codes = list(dict.fromkeys(codes or []))
    found = db.session.scalars(select(Store).where(Store.code.in_(codes))).all() if codes else []
    missing = sorted(set(codes) - {s.code for s in found})
    if missing:
        raise ValidationFailed(details={"store_codes": [f"Unknown store: {c}" for c in missing]})
    return sorted(found, key=lambda s: s.code)


def stores_by_ids(store_ids) -> dict[int, Store]:
    """These stores by id, in one read (for lists that name the store of each row)."""
    ids = sorted(set(store_ids))
    found = db.session.scalars(select(Store).where(Store.id.in_(ids))).all() if ids else []
    return {store.id: store for store in found}


def create_store(code, name, brand=None, **details) -> Store:
    """A new store; `details`: address, latitude, longitude, hours, phone, pickup."""
    store = Store(code=code, name=name, brand=brand, active=True, created_at=clock.now(),
                  **{"pickup": True, **details})
    try:
        with db.session.begin_nested():
            db.session.add(store)
    except IntegrityError:
        raise Conflict(f"Store code {code} is taken.", code="invalid_state") from None
    audit.record("store.create", "store", code, after=_snapshot(store, STORE_FIELDS),
                 store_id=store.id)
    return store


def update_store(code, changes: dict) -> Store:
    store = get_store(code)
    before = _snapshot(store, STORE_FIELDS)
    for name, value in changes.items():
        setattr(store, name, value)
    db.session.flush()
    audit.record("store.update", "store", code, before=before, after=_snapshot(store, STORE_FIELDS),
                 store_id=store.id)
    return store


# --- staff ----------------------------------------------------------------------------------

def get_staff(staff_id: int) -> Staff:
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"No staff account {staff_id}.")
    return staff


def create_staff(username, password, role, store_codes=()) -> Staff:
    staff = Staff(username=username, password_hash=hash_password(password), role=role,
                  active=True, created_at=clock.now(), stores=stores_by_codes(store_codes))
    _check_scope(staff)
    try:
        with db.session.begin_nested():
            db.session.add(staff)
    except IntegrityError:
        raise Conflict(f"Username {username} is taken.", code="invalid_state") from None
    audit.record("staff.create", "staff", staff.id, after=_snapshot(staff, STAFF_FIELDS))
    return staff


def update_staff(staff_id: int, changes: dict, actor: Staff | None = None) -> Staff:
    """Apply an admin's changes to a staff account, audited. 409 `invalid_state` for a change
    that could lock the chain out: `actor` deactivating or re-passwording their own account
    (change_own_password asks for the current one), or leaving no active hq_admin."""
    staff = get_staff(staff_id)
    _refuse_lockout(staff, changes, actor)
    before = _snapshot(staff, STAFF_FIELDS)
    if "password" in changes:
        staff.password_hash = hash_password(changes.pop("password"))
        staff.token_version += 1
    if "store_codes" in changes:
        staff.stores = stores_by_codes(changes.pop("store_codes"))
    if changes.get("active") is False and staff.active:
        staff.token_version += 1
    for name, value in changes.items():
        setattr(staff, name, value)
    _check_scope(staff)
    db.session.flush()
    audit.record("staff.update", "staff", staff.id, before=before,
                 after=_snapshot(staff, STAFF_FIELDS))
    return staff


def change_own_password(staff: Staff, current_password: str, new_password: str) -> str:
    """Set `staff`'s password given the current one (422 if wrong; failures count towards the
    login throttle, 429). Ends the account's other sessions: returns a new token."""
    check_login_throttle(staff.username)
    if not verify_password(staff.password_hash, current_password):
        record_login_failure(staff.username)
        raise ValidationFailed(details={"current_password": ["This is not your password."]})
    clear_login_failures(staff.username)
    staff.password_hash = hash_password(new_password)
    staff.token_version += 1
    db.session.flush()
    audit.record("staff.password", "staff", staff.id)
    return issue_staff_token(staff)


def _refuse_lockout(staff: Staff, changes: dict, actor: Staff | None) -> None:
    if actor is not None and actor.id == staff.id:
        if changes.get("active") is False:
            raise Conflict("You cannot deactivate your own account; another HQ admin can.")
        if "password" in changes:
            raise Conflict("Change your own password with POST /api/v1/staff/me/password, "
                           "which asks for the current one.")
    if _takes_an_hq_admin_away(staff, changes) and not _other_active_hq_admins(staff.id):
        raise Conflict(f"{staff.username} is the last active hq_admin: without one nobody could "
                       "run the chain. Make another account hq_admin first.")


def _takes_an_hq_admin_away(staff: Staff, changes: dict) -> bool:
    stays = changes.get("role", staff.role) == "hq_admin" and changes.get("active", staff.active)
    return staff.role == "hq_admin" and staff.active and not stays


def _other_active_hq_admins(staff_id: int) -> list[int]:
    """The ids of the active hq_admins but `staff_id`, read with their rows locked in id order:
    two admins demoting each other at once wait for one another, and the second sees the
    first's change (a plain read would let both through and leave the chain without HQ). On a
    Galera cluster the lock holds on one node only: the write guard makes two such changes
    conflict at COMMIT, and the one run again sees the other's."""
    guard("hq_admins")
    ids = db.session.scalars(
        select(Staff.id).where(Staff.role == "hq_admin", Staff.active.is_(True))
        .order_by(Staff.id).with_for_update()).all()
    return [i for i in ids if i != staff_id]


def _check_scope(staff: Staff) -> None:
    if not staff.is_hq and not staff.stores:
        raise ValidationFailed(details={"store_codes": ["Store staff need at least one store."]})


# --- POS API keys ---------------------------------------------------------------------------

def create_api_key(store_code: str) -> tuple[ApiKey, str]:
    """A new key for the store; the secret is returned here and never again."""
    store = get_store(store_code, active_only=True)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(key_id="pk_" + secrets.token_hex(12), store=store, active=True,
                 secret_encrypted=encrypt_secret(secret), created_at=clock.now())
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.create", "api_key", key.key_id, after={"store_code": store.code},
                 store_id=store.id)
    return key, secret


def list_api_keys(store_code: str) -> list[ApiKey]:
    store = get_store(store_code)
    return db.session.scalars(select(ApiKey).filter_by(store_id=store.id).order_by(ApiKey.id)).all()


def revoke_api_key(store_code: str, key_id: str) -> ApiKey:
    store = get_store(store_code)
    key = db.session.scalars(select(ApiKey).filter_by(store_id=store.id, key_id=key_id)).one_or_none()
    if key is None:
        raise NotFound(f"No API key {key_id} for store {store_code}.")
    key.active = False
    db.session.flush()
    audit.record("api_key.revoke", "api_key", key_id, before={"active": True},
                 after={"active": False}, store_id=store.id)
    return key
