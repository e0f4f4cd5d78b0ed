"""Sending one subscribe message, and what to do with WeChat's answer.

The reminders need only `send(openid, template_id, page, data)`, raising one of the typed errors
below, and `refresh_token()`. `deliver` applies the policy:
- 43101 (the user refused / has no consent left) → `refused`, never retried;
- -1 (WeChat busy), 45011 (the minute's quota), HTTP 5xx, network errors → retried with
  exponential backoff, a bounded number of times and seconds, then `failed`;
- 40001 / 40014 / 42001 (access token invalid / expired) → the token is refreshed once and the
  send tried again; a second token error → `failed`;
- anything else → `failed`, not retried: 45009 (the day's quota), 47003 (data not the
  template's), 40037 (no such template), 41030 (page not released), 40003 (bad openid),
  40164 (this server not whitelisted; also recorded for /healthz, see wx.health).

A `failed` message never reached the member, for a reason that is not theirs: the caller gives
their consent back. A `refused` one means WeChat holds none: the caller sets it to zero.

`HttpSubscribeSender` talks to WeChat (or the fake server) with a `requests` session per
sending thread, and shares the app's stable access token (wx.client.TokenCache: Redis, one
refresher at a time) with every other process.
"""
import threading
from dataclasses import dataclass

import requests

from core.errors import Unavailable, WechatError
from core.redis import get_redis
from wx.backoff import Backoff, Waits
from wx.client import TOKEN_ERRORS, TokenCache
from wx.health import IP_NOT_WHITELISTED

SEND_PATH = "/cgi-bin/message/subscribe/send"


class SendError(Exception):
    def __init__(self, errcode: int, errmsg: str = ""):
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class Refused(SendError):
    """43101: the member has not (or no longer) agreed to receive this template."""


class Transient(SendError):
    """-1, 45011, HTTP 5xx or no answer: worth trying again shortly."""


class TokenInvalid(SendError):
    """40001 / 40014 / 42001: the access token must be refreshed."""


class Rejected(SendError):
    """Any other errcode: the message itself is wrong; sending it again changes nothing."""


NETWORK_ERRCODE = -2  # our code for "no answer from WeChat" (not a WeChat errcode)


def error_for(errcode: int, errmsg: str = "") -> SendError:
    if errcode == 43101:
        return Refused(errcode, errmsg)
    if errcode in (-1, 45011):  # busy, the minute's quota (45009, the day's, is not retried)
        return Transient(errcode, errmsg)
    if errcode in TOKEN_ERRORS:
        return TokenInvalid(errcode, errmsg)
    return Rejected(errcode, errmsg)


@dataclass
class Delivery:
    status: str  # sent | refused | failed
    errcode: int | None = None
    attempts: int = 0


def deliver(sender, openid, template_id, page, data, *, retries=3, backoff=0.5,
            max_seconds=None) -> Delivery:
    """Send one message under the policy above; never raises for a WeChat answer. Waits at
    most `max_seconds` in all (default: the sender's `retry_max_seconds`)."""
    limit = max_seconds if max_seconds is not None else getattr(sender, "retry_max_seconds", 30.0)
    attempts, refreshed, waits = 0, False, Waits(Backoff(backoff, retries, limit))
    while True:
        attempts += 1
        try:
            sender.send(openid, template_id, page, data)
            return Delivery("sent", None, attempts)
        except Refused as exc:
            return Delivery("refused", exc.errcode, attempts)
        except TokenInvalid as exc:
            if refreshed:
                return Delivery("failed", exc.errcode, attempts)
            try:
                sender.refresh_token()
            except SendError as refused:  # e.g. 40164: no token for this server
                return Delivery("failed", refused.errcode, attempts)
            refreshed = True
        except Transient as exc:
            if not waits.again():
                return Delivery("failed", exc.errcode, attempts)
        except Rejected as exc:
            return Delivery("failed", exc.errcode, attempts)


class HttpSubscribeSender:
    """subscribe/send over HTTP with a Redis-cached stable access token (one per appid)."""

    def __init__(self, api_base: str, appid: str, secret: str, timeout: float = 5.0,
                 token_backoff: Backoff | None = None, retry_max_seconds: float = 30.0):
        self.api_base, self.appid, self.secret = api_base.rstrip("/"), appid, secret
        self.timeout = timeout
        #: what `deliver` waits at most, in all, for one message
        self.retry_max_seconds = retry_max_seconds
        self._local = threading.local()
        self._redis = get_redis()  # sends run in threads without an app context
        self.tokens = TokenCache(api_base, appid, secret, redis=self._redis, timeout=timeout,
                                 backoff=token_backoff)

    @classmethod
    def from_config(cls, config) -> "HttpSubscribeSender":
        return cls(config["WECHAT_API_BASE"], config["WECHAT_APPID"], config["WECHAT_SECRET"],
                   token_backoff=Backoff.from_config(config),
                   retry_max_seconds=config["REMINDER_RETRY_MAX_SECONDS"],
                   timeout=config["WECHAT_TIMEOUT"])

    def _http(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _post(self, path, body, params=None) -> dict:
        try:
            response = self._http().post(self.api_base + path, json=body, params=params,
                                         timeout=self.timeout)
        except requests.RequestException as exc:
            raise Transient(NETWORK_ERRCODE, type(exc).__name__) from exc
        if response.status_code >= 500:
            raise Transient(NETWORK_ERRCODE, f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(NETWORK_ERRCODE, "not JSON") from exc

    def access_token(self) -> str:
        return self._guarded(self.tokens.get)

    def refresh_token(self) -> str:
        """A token other than the one that was just refused (shared by every process)."""
        stale = self._redis.get(self.tokens.key)
        return self._guarded(lambda: self.tokens.refresh(stale=stale.decode() if stale else None))

    @staticmethod
    def _guarded(fetch) -> str:
        try:
            return fetch()
        except Unavailable as exc:
            raise Transient(NETWORK_ERRCODE, "stable_token unreachable") from exc
        except WechatError as exc:
            raise error_for(int(exc.details.get("errcode") or -1),
                            str(exc.details.get("errmsg") or "")) from exc

    def send(self, openid: str, template_id: str, page: str | None, data: dict) -> None:
        body = {"touser": openid, "template_id": template_id, "data": data,
                "miniprogram_state": "formal", "lang": "zh_CN"}
        if page:
            body["page"] = page
        answer = self._post(SEND_PATH, body, params={"access_token": self.access_token()})
        errcode, errmsg = answer.get("errcode", 0), answer.get("errmsg", "")
        if errcode == IP_NOT_WHITELISTED:
            self.tokens.status.ip_refused(errmsg)
        if errcode != 0:
            raise error_for(errcode, errmsg)
