"""Visit check-in (到店打卡): a store shows a mini-program code whose scene names the store and
a rotating token; a member who scans it in the store earns the store's visit points once per
business day per store, paid from the store's monthly budget (the store funds them). Staff
can record a visit by scanning the member's code instead.

The token is an HMAC of (store, window) with the app's secret: a code is good for the window
it was made in and the next one (TOKEN_SECONDS each), so a photo of it stops working within
minutes. Once a day per store is decided by the unique (member, store, day) row, inserted
under the member's account lock: a burst of scans pays once.

LOCK ORDER: the member's account, the visit row, the store's budget row (as orders)."""
import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from core.errors import Conflict, Gone, NotFound, ValidationFailed
from points import ledger
from points.campaigns import budget
from points.campaigns.models import StoreVisit
from points.campaigns.policy import policy_for
from stores.models import Store

TOKEN_SECONDS = 300
VISIT_PAGE = "pages/visit/index"


@dataclass
class Visit:
    store_code: str
    day: date
    points: int
    balance: int


def _window(moment) -> int:
    return int(moment.timestamp()) // TOKEN_SECONDS


def _signature(store_id: int, window: int) -> str:
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(),
                      f"visit:{store_id}:{window}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:10]


def scene_for(store: Store, moment=None) -> tuple[str, int]:
    """(the scene of the store's code now, seconds it stays the current one)."""
    moment = moment or clock.now()
    window = _window(moment)
    left = (window + 1) * TOKEN_SECONDS - int(moment.timestamp())
    return f"v:{store.id}:{window:x}:{_signature(store.id, window)}", left


def store_of_scene(scene: str) -> Store:
    """The store a scanned scene names; 422 when it is no visit code, 410 code_expired when
    its token is older than the previous window."""
    try:
        prefix, store_id, window, signature = scene.split(":")
        store_id, window = int(store_id), int(window, 16)
    except ValueError:
        raise ValidationFailed(details={"scene": ["Not a store's visit code."]}) from None
    if prefix != "v" or not hmac.compare_digest(signature, _signature(store_id, window)):
        raise ValidationFailed(details={"scene": ["Not a store's visit code."]})
    if not 0 <= _window(clock.now()) - window <= 1:
        raise Gone("This visit code has expired: scan the one the store shows now.")
    store = db.session.get(Store, store_id)
    if store is None or not store.active:
        raise NotFound("No such store.")
    return store


def check_in(member, scene: str) -> Visit:
    """The member scanned the store's code: the store's visit points, once a business day
    (409 already_checked_in), within its budget (409 limit_exceeded)."""
    return record_visit(member, store_of_scene(scene), source="scan")


def record_visit(member, store: Store, *, source: str, staff=None) -> Visit:
    limits = policy_for(store.code)
    points = limits["visit_points"]
    if not points:
        raise Conflict(f"Store {store.code} has no visit check-in.", code="invalid_state")
    now = clock.now()
    day = clock.business_date(now)
    held = ledger.hold_account(member.id, now)
    try:
        with db.session.begin_nested():
            row = StoreVisit(member_id=member.id, store_id=store.id, day=day, points=points,
                             source=source, staff_id=staff.id if staff else None, created_at=now)
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise Conflict(f"Already checked in at {store.code} today.", code="already_checked_in",
                       details={"date": day.isoformat(), "store_code": store.code}) from None
    if not budget.spend(store.id, points, limits["monthly_budget_points"], now):
        raise Conflict(f"Store {store.code}'s points budget for the month is spent.",
                       code="limit_exceeded", details={"store_code": store.code})
    entry = ledger.credit(member.id, points, kind="visit", key=f"visit:{row.id}", new_key=True,
                          store_id=store.id, ref=("visit", row.id), held=held,
                          store_funded=(store.id, points), details={"store_code": store.code})
    return Visit(store.code, day, points, entry.balance_after)
