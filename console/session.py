"""Who is at the console, and for which store.

Signing in is the API's login (stores.service.login: the same accounts, throttling and
lockout); the session cookie keeps the staff token it issued, and every click checks it with
core.auth.current_staff — the API's check — so a deactivated account or a changed password is
out at its next click. On top: an idle timeout (CONSOLE_IDLE_TIMEOUT) and a sign-out that ends
the token for the console at once (a copy of the cookie taken before stays signed out).
"""
import hashlib
from functools import wraps
from pathlib import Path

from flask import current_app, g, request, session

from core import clock
from core.auth import current_staff, require_store_access
from core.errors import Forbidden, NotFound, Unauthenticated
from core.redis import get_redis, rkey
from stores import service as stores_service

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: stores listed on the picker for HQ staff (who act for every store)
PICKER_LIMIT = 100


class SignedOut(Exception):
    """The console session is over; `reason`: sign_in, idle, signed_out or ended."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PickStore(Exception):
    """The staff member has not picked a store (or may no longer act for it)."""


def locale() -> str:
    return session.get("lang") if session.get("lang") in LOCALES else DEFAULT_LOCALE


def sign_in(username: str, password: str):
    """Sign in with the API's login (401, 429 as AppErrors); a staff member of one store has
    it picked at once."""
    token, staff = stores_service.login(username, password)
    lang = session.get("lang")
    session.clear()
    session.update(token=token, seen=clock.now().timestamp())
    if lang:
        session["lang"] = lang
    stores = actable_stores(staff)
    if len(stores) == 1 and not staff.is_hq:
        session["store"] = stores[0].code
    return staff


def sign_out() -> None:
    token = session.get("token")
    if token:
        get_redis().set(_signed_out_key(token), 1, ex=current_app.config["STAFF_TOKEN_TTL"])
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _signed_out_key(token: str) -> str:
    return rkey("console-signed-out", hashlib.sha256(token.encode()).hexdigest()[:32])


def signed_in_staff():
    """The staff member of this session (SignedOut otherwise); counts as a click."""
    token, seen = session.get("token"), session.get("seen", 0)
    if not token:
        raise SignedOut("sign_in")
    now = clock.now().timestamp()
    if now - seen > current_app.config["CONSOLE_IDLE_TIMEOUT"]:
        raise SignedOut("idle")
    if get_redis().exists(_signed_out_key(token)):
        raise SignedOut("signed_out")
    try:
        staff = current_staff(token)
    except Unauthenticated:
        raise SignedOut("ended") from None
    session["seen"] = now
    return staff


def actable_stores(staff) -> list:
    """The active stores the staff member may pick: their own, or (HQ) the first ones."""
    if staff.is_hq:
        return [s for s in stores_service.list_stores(PICKER_LIMIT, None)["items"] if s.active]
    return [s for s in staff.stores if s.active]


def pick_store(staff, store_code: str):
    """Act for this store from now on: 404 for an unknown or closed store, 403 for one the
    staff member does not act for (core.auth.require_store_access, as the API)."""
    store = stores_service.get_store(store_code, active_only=True)
    require_store_access(staff, store)
    session["store"] = store.code
    return store


def current_store(staff):
    """The store picked for this session, checked again (PickStore if there is none, or the
    staff member no longer acts for it)."""
    code = session.get("store")
    if not code:
        raise PickStore()
    try:
        store = _own_store(staff, code) or stores_service.get_store(code, active_only=True)
        require_store_access(staff, store)
    except (NotFound, Forbidden):
        session.pop("store", None)
        raise PickStore() from None
    return store


def _own_store(staff, code: str):
    """The store with this code among the staff member's own (loaded with the account, so no
    second read at every click); None for HQ staff, or a code not theirs."""
    return next((s for s in staff.stores if s.code == code and s.active), None)


def staff_page(*roles, store: bool = True):
    """A console page for signed-in staff (with one of `roles`, if given; 403 otherwise),
    acting for the picked store (`store`): g.staff, g.store."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.staff = signed_in_staff()
            if roles and g.staff.role not in roles:
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.",
                                details={"roles": list(roles)})
            g.store = current_store(g.staff) if store else None
            return view(*args, **kwargs)

        wrapper.console_roles = roles
        return wrapper

    return decorator


def may(roles) -> bool:
    """Whether the signed-in staff member has one of `roles` (what a page offers)."""
    return g.get("staff") is not None and g.staff.role in roles


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"

