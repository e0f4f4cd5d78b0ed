"""Authentication: member and staff bearer tokens, roles and store scope, POS HMAC, login throttling.

Decorators answer 401/403 in the contract's shape and put the caller on `flask.g`:
`g.member_id` (member_required), `g.staff` (staff_required), `g.pos_store` (pos_required).
"""
import base64
import hashlib
import hmac
from functools import wraps
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet
from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from core import clock, config_cache
from core.db import db
from core.errors import Forbidden, RateLimited, Unauthenticated
from core.redis import get_redis, rkey

MEMBER_SALT = "jifen.member-token"
STAFF_SALT = "jifen.staff-token"


# --- tokens -------------------------------------------------------------------------------

class _ClockSigner(TimestampSigner):
    """Token ages follow core.clock, so tests can move time."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


#: the staff and POS-key models (stores.models), given by app.py: core names no domain
_accounts: dict = {}


def use_accounts(*, staff_model, api_key_model) -> None:
    """Which models hold staff (id, active, role, token_version, may_act_for) and POS keys."""
    _accounts.update(staff=staff_model, api_key=api_key_model)


#: what a check leaves on `g` about the caller
CALLER = ("staff", "member_id", "member_token_version", "pos_store")


def forget_caller() -> None:
    """Before each request: no caller yet. (A request inside an app context that is already
    pushed — a test's, a CLI's — shares its `g`: the last request's caller would otherwise be
    taken for this one's, by the audit log among others.)"""
    for name in CALLER:
        g.pop(name, None)


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt, signer=_ClockSigner)


def issue_member_token(member_id: int, token_version: int = 1) -> str:
    return _serializer(MEMBER_SALT).dumps({"m": member_id, "v": token_version})


def issue_staff_token(staff) -> str:
    return _serializer(STAFF_SALT).dumps({"s": staff.id, "v": staff.token_version})


def _load_token(salt, max_age, token=None):
    """The token's data: `token`, or else the Authorization header's bearer token."""
    if token is None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("A bearer token is required.")
    try:
        return _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Unauthenticated("The token has expired; log in again.") from None
    except BadSignature:
        raise Unauthenticated("The token is not valid.") from None


def current_member_id() -> int:
    """The member of the bearer token. Its version (1 for a token from before versions) goes
    to `g.member_token_version`: whoever loads the member compares it (a deleted account's
    version moved on), so this check needs no database."""
    data = _load_token(MEMBER_SALT, current_app.config["MEMBER_TOKEN_TTL"])
    g.member_token_version = data.get("v", 1)
    return data["m"]


def current_staff(token=None):
    """The active staff member the request's bearer token (or `token`: the console keeps one
    in its session) names; 401 once it expired, or the account was deactivated or its
    password changed."""
    Staff = _accounts["staff"]
    data = _load_token(STAFF_SALT, current_app.config["STAFF_TOKEN_TTL"], token)
    staff = db.session.get(Staff, data["s"], options=Staff.load_options())
    if staff is None or not staff.active or staff.token_version != data.get("v"):
        raise Unauthenticated("The token is no longer valid; log in again.")
    return staff


# --- who may call a view -------------------------------------------------------------------
# Each decorator declares its check on the view (`view.auth_checks`); core.api's blueprint runs
# the declared checks before anything else the view's decorators do (parsing the body, reading
# an Idempotency-Key), whatever order they are written in, and refuses a route that declares
# none. Used outside that blueprint, the decorator runs its check itself.

def declare_check(view, check):
    """`view`, wrapped to run `check` first (unless the blueprint already ran it for this
    request); `auth_checks` lists every check declared on it, outermost first."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        run_check(check)
        return view(*args, **kwargs)

    wrapper.auth_checks = (check,) + getattr(view, "auth_checks", ())
    return wrapper


def run_check(check, *, again=False) -> None:
    """Run `check` for this request, unless it already ran (`again`: even so — a request the
    transaction boundary runs again after a deadlock checks its caller again)."""
    done = request.environ.setdefault("jifen.auth_checks", set())
    if again or check not in done:
        check()
        done.add(check)


def checks_first(view, name: str):
    """`view`, running the checks its decorators declare before any of them; a TypeError for
    a view that declares none (every API route says who may call it)."""
    checks = getattr(view, "auth_checks", ())
    if not checks:
        raise TypeError(f"{name}: say who may call it (public, member_required, "
                        "staff_required(...) or pos_required)")

    @wraps(view)
    def guarded(*args, **kwargs):
        for check in checks:
            run_check(check, again=True)
        return view(*args, **kwargs)

    return guarded


def public(view):
    """Anyone may call this view (logins, public lists)."""
    return declare_check(view, _anyone)


def _anyone():
    pass


def _member():
    g.member_id = current_member_id()


def member_required(view):
    return declare_check(view, _member)


def staff_required(*roles):
    """Require a staff token; with roles, require one of them (403 otherwise)."""

    def check():
        g.staff = current_staff()
        if roles and g.staff.role not in roles:
            raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")

    return lambda view: declare_check(view, check)


def require_store_access(staff, store) -> None:
    """403 unless `staff` may act for `store` (HQ roles act for every store)."""
    if not staff.may_act_for(store):
        raise Forbidden(f"You do not act for store {store.code}.")


# --- passwords and login throttling ---------------------------------------------------------

def _hasher():
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _throttle_keys(username: str):
    cfg = current_app.config
    return [
        (rkey("login-fail", "user", username.lower()), cfg["LOGIN_FAILS_PER_USER"]),
        (rkey("login-fail", "addr", request.remote_addr or "-"), cfg["LOGIN_FAILS_PER_ADDR"]),
    ]


def check_login_throttle(username: str) -> None:
    """429 with Retry-After while a username or a client address has too many recent failures."""
    r = get_redis()
    for key, limit in _throttle_keys(username):
        if int(r.get(key) or 0) >= limit:
            raise RateLimited(max(r.ttl(key), 1), "Too many failed logins; try again later.")


def record_login_failure(username: str) -> None:
    r = get_redis()
    window = current_app.config["LOGIN_FAIL_WINDOW"]
    for key, _limit in _throttle_keys(username):  # one key per MULTI: one Redis Cluster slot
        r.pipeline().incr(key).expire(key, window, nx=True).execute()


def clear_login_failures(username: str) -> None:
    get_redis().delete(_throttle_keys(username)[0][0])


# --- POS HMAC -----------------------------------------------------------------------------

def _fernet() -> Fernet:
    digest = hashlib.sha256(("pos-api-key:" + current_app.config["SECRET_KEY"]).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret: str) -> bytes:
    return _fernet().encrypt(secret.encode())


def decrypt_secret(token: bytes) -> str:
    return _fernet().decrypt(token).decode()


def signing_message(method, path_with_query, timestamp, nonce, body: bytes) -> bytes:
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path_with_query, timestamp, nonce, body_hash]).encode()


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


#: what clients (werkzeug, requests, browsers) leave unencoded in a path
PATH_SAFE = "/!$&'()*+,:;=@"


def _signed_paths() -> list[str]:
    """The PATH_WITH_QUERY forms a signature may cover: the request target exactly as sent on
    the wire (the raw URI the server read from the request line; without one, the path
    percent-encoded as clients encode it), and while POS_ACCEPT_DECODED_PATH is on (a
    transition for POS stacks that signed the decoded path) the decoded path. The query is
    always as sent."""
    query = request.query_string.decode(errors="replace")
    query = "?" + query if query else ""
    forms = [_raw_target(), quote(request.path, safe=PATH_SAFE) + query]
    if current_app.config["POS_ACCEPT_DECODED_PATH"]:
        forms.append(request.path + query)
    return list(dict.fromkeys(f for f in forms if f))


def _raw_target() -> str | None:
    """The path and query of the request line (gunicorn's RAW_URI, uWSGI's REQUEST_URI)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return None
    try:
        raw = raw.encode("latin-1").decode(errors="replace")  # WSGI strings carry bytes as latin-1
    except UnicodeEncodeError:
        pass
    if raw.startswith("/"):
        return raw
    parts = urlsplit(raw)  # an absolute-form target: http://host/path?query
    return parts.path + ("?" + parts.query if parts.query else "")


def verify_pos_request():
    """Check the POS headers (API.md) and return the API key's store (plain data).

    One Redis round trip in the usual case: the key this process holds checks the signature,
    then one pipeline takes the nonce and reads the configuration generation. Had the
    configuration changed meanwhile (a key revoked, a store closed), the key is read again and
    the request checked against it — a nonce taken for a request refused then is not missed.
    """
    key_id, nonce, messages, signature = _pos_headers()
    nonce_key = rkey("pos-nonce", key_id, nonce)
    retried = request.environ.get("jifen.pos_nonce") == nonce_key  # run again after a deadlock
    held = None if retried else config_cache.peek(_key_name(key_id))
    if held is not None and _signed(held.value.secret, messages, signature):
        taken, generation = (get_redis().pipeline(transaction=False)
                             .set(nonce_key, 1, nx=True, ex=current_app.config["POS_NONCE_TTL"])
                             .get(config_cache.generation_key()).execute())
        config_cache.use_generation(generation)
        fresh = generation == held.generation
        api_key = held.value if fresh else _checked_key(key_id, messages, signature)
    else:
        api_key = _checked_key(key_id, messages, signature)
        taken = retried or get_redis().set(nonce_key, 1, nx=True,
                                           ex=current_app.config["POS_NONCE_TTL"])
    if not taken:
        raise Unauthenticated("This nonce was already used.")
    request.environ["jifen.pos_nonce"] = nonce_key
    return api_key.store


def _pos_headers():
    """(key id, nonce, the messages the signature may cover, the signature), or 401 for
    missing or stale ones."""
    h = request.headers
    key_id, ts, nonce, signature = (h.get("X-Api-Key"), h.get("X-Timestamp"),
                                    h.get("X-Nonce"), h.get("X-Signature"))
    if not all([key_id, ts, nonce, signature]):
        raise Unauthenticated("X-Api-Key, X-Timestamp, X-Nonce and X-Signature are required.")
    if len(nonce) < 16 or len(nonce) > 64:
        raise Unauthenticated("X-Nonce must be 16 to 64 characters.")
    if not ts.isdigit() or abs(clock.now().timestamp() - int(ts)) > current_app.config["POS_TIMESTAMP_WINDOW"]:
        raise Unauthenticated("X-Timestamp is more than 300 seconds away from our clock.")
    body = request.get_data()
    messages = [signing_message(request.method, path, ts, nonce, body) for path in _signed_paths()]
    return key_id, nonce, messages, signature


def _signed(secret: str, messages: list[bytes], signature: str) -> bool:
    """Hex digits in either case; each form compared in constant time, all of them always."""
    given = signature.lower().encode()
    return any([hmac.compare_digest(sign(secret, m).encode(), given) for m in messages])


def _checked_key(key_id: str, messages: list[bytes], signature: str):
    """The active key, read through the configuration cache; 401 if it is unknown, revoked or
    its store closed, or if it did not sign the message."""
    api_key = _active_key(key_id)
    if api_key is None:
        raise Unauthenticated("Unknown or revoked API key.")
    if not _signed(api_key.secret, messages, signature):
        raise Unauthenticated("The signature does not match.")
    return api_key


def _key_name(key_id: str) -> str:
    return f"pos-key:{key_id}"


def _active_key(key_id: str):
    """The active key's secret and its (active) store as plain data, or None. Cached in the
    process until a key or store changes (core.config_cache): no query, no decryption."""
    ApiKey = _accounts["api_key"]

    def load():
        key = db.session.query(ApiKey).filter_by(key_id=key_id, active=True).one_or_none()
        if key is None or not key.store.active:
            return None
        return PosKey(decrypt_secret(key.secret_encrypted),
                      config_cache.snapshot(key.store, STORE_FIELDS))

    return config_cache.cached(_key_name(key_id), load)


#: what a POS request knows of its store (g.pos_store)
STORE_FIELDS = ("id", "code", "name", "brand", "active")


class PosKey(NamedTuple):
    secret: str
    store: object  #: a config_cache.snapshot of the key's store


def _pos():
    g.pos_store = verify_pos_request()


def pos_required(view):
    return declare_check(view, _pos)


def require_pos_store(store_code: str):
    """403 unless the request's store_code is the store the POS key belongs to."""
    if store_code != g.pos_store.code:
        raise Forbidden(f"This API key belongs to store {g.pos_store.code}, not {store_code}.")
    return g.pos_store
