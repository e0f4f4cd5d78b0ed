"""The one way Jifen talks to WeChat: a wechatpy client with our base URL, a stable access token
shared by every process through Redis, and WeChat's answers turned into the contract's errors.

- The access token comes from `cgi-bin/stable_token`: asking again returns the same token, so
  processes never invalidate each other. One process refreshes at a time (a Redis lock); the
  others wait for its result. WeChat renews it in its last 5 minutes; we ask before then.
- wechatpy's `auto_retry` retries 40001/42001 without limit; it is off. A token error (40001,
  40014, 42001) refreshes the token once — forcing a new one if WeChat hands back the refused
  one — and tries again, then fails.
- WeChat busy (-1), an HTTP 5xx and no answer are retried with exponential backoff, bounded
  in number and in total time (WECHAT_RETRIES, WECHAT_RETRY_BACKOFF, WECHAT_RETRY_MAX_SECONDS).
  Nothing else is retried: 45009 (the day's quota) and 43101 (the user refused) would only
  fail again.
- Errors: 40164 (this server's IP is not on the whitelist) → `WechatConfigError` (503), logged
  once with the fix and shown in /healthz (wx.health); 40226 (WeChat blocks this user) → 403
  `wechat_user_blocked`; any other errcode → `WechatError` (502, errcode in details); no
  answer → `Unavailable` (503). Callers map the few errcodes the contract treats otherwise
  (a bad login code → 401).
"""
import re
from typing import NamedTuple

import requests
from flask import current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from core.errors import Forbidden, Unavailable, WechatError
from core.redis import get_redis, rkey
from wx.backoff import Backoff, Waits
from wx.health import IP_NOT_WHITELISTED, WechatStatus

TOKEN_ERRORS = (40001, 40014, 42001)
BUSY = -1
USER_BLOCKED = 40226
LOCK_SECONDS = 10
#: WeChat's alphabet for a mini-program code's `scene`
SCENE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")
#: a data key inside a template's content: "过期积分:{{number2.DATA}}"
TEMPLATE_KEY = re.compile(r"\{\{([a-z_]+[0-9]+)\.DATA\}\}")


class WechatConfigError(WechatError):
    """WeChat refuses this server, whatever it asks (40164): an operator must fix it."""

    status = 503
    message = "WeChat refuses calls from this server; the operators have been told how to fix it."


def wechat_error(errcode, errmsg, status: WechatStatus | None = None):
    """The contract's error for a WeChat errcode (40164 is also recorded in `status`)."""
    details = {"errcode": errcode, "errmsg": str(errmsg or "")}
    if errcode == IP_NOT_WHITELISTED:
        if status is not None:
            status.ip_refused(details["errmsg"])
        return WechatConfigError(details=details)
    if errcode == USER_BLOCKED:
        return Forbidden("WeChat does not let this user log in (its risk control).",
                         code="wechat_user_blocked", details=details)
    return WechatError(details=details)


class TokenCache:
    """The stable access token of one appid, cached in Redis for every process."""

    def __init__(self, api_base: str, appid: str, secret: str, redis=None, http=None, timeout=5.0,
                 backoff: Backoff | None = None):
        self.api_base, self.appid, self.secret = api_base.rstrip("/"), appid, secret
        self.redis = redis or get_redis()
        self.http = http or requests.Session()
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.key = rkey("wx", "access-token", appid)
        self.status = WechatStatus(self.redis, appid, rkey("wx", "status", appid))

    def get(self) -> str:
        cached = self.redis.get(self.key)
        return cached.decode() if cached else self.refresh()

    def refresh(self, stale: str | None = None) -> str:
        """A token other than `stale`: fetched by one process at a time, shared by all. If
        WeChat still hands out `stale` (it thinks it valid), a new one is forced."""
        with self.redis.lock(self.key + ":lock", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS):
            cached = self.redis.get(self.key)
            if cached and cached.decode() != stale:
                return cached.decode()  # another process refreshed it while we waited
            answer = self.fetch()
            if stale and answer["access_token"] == stale:
                answer = self.fetch(force=True)
            ttl = max(int(answer.get("expires_in", 7200)) - 300, 60)
            self.redis.set(self.key, answer["access_token"], ex=ttl)
            return answer["access_token"]

    def fetch(self, force: bool = False) -> dict:
        """stable_token itself ({access_token, expires_in}), uncached; busy and silence are
        retried with backoff."""
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": force}
        waits = Waits(self.backoff)
        while True:
            answer = json_answer(lambda: self.http.post(
                f"{self.api_base}/cgi-bin/stable_token", json=body, timeout=self.timeout), waits)
            if "access_token" in answer:
                self.status.ok()
                return answer
            if answer.get("errcode") == BUSY and waits.again():
                continue
            raise wechat_error(answer.get("errcode"), answer.get("errmsg"), self.status)


def json_answer(send, waits) -> dict:
    """send()'s JSON answer; no answer (network, not JSON) is tried again with backoff while
    `waits` allows, then 503."""
    while True:
        try:
            return send().json()
        except (requests.RequestException, ValueError) as exc:
            if not waits.again():
                raise Unavailable("WeChat cannot be reached.") from exc


class WechatClient(WeChatClient):
    """wechatpy's client pointed at `api_base`, with the token cache and error policy above."""

    def __init__(self, api_base: str, appid: str, secret: str, *, redis=None, timeout=5.0,
                 backoff: Backoff | None = None, env_version="release", check_path=True):
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = self.api_base + "/cgi-bin/"
        self.wxa.API_BASE_URL = self.api_base + "/"
        self.backoff = backoff or Backoff()
        #: which version a mini-program code opens, and whether WeChat checks its page exists
        self.env_version, self.check_path = env_version, check_path
        self.tokens = TokenCache(self.api_base, appid, secret, redis=redis, http=self._http,
                                 timeout=timeout, backoff=self.backoff)

    @classmethod
    def from_config(cls, config=None) -> "WechatClient":
        config = config or current_app.config
        return cls(config["WECHAT_API_BASE"], config["WECHAT_APPID"], config["WECHAT_SECRET"],
                   backoff=Backoff.from_config(config), env_version=config["WECHAT_ENV_VERSION"],
                   check_path=config["WECHAT_CHECK_PATH"],
                   timeout=config["WECHAT_TIMEOUT"])

    @property
    def access_token(self):
        return self.tokens.get()

    def fetch_access_token(self):
        return {"access_token": self.tokens.refresh()}

    def call(self, method: str, path: str, **kwargs):
        """`path` under the API root (e.g. "wxa/getwxacodeunlimit"), with the access token;
        returns the decoded JSON, or the raw response for a binary answer (an image)."""
        params = kwargs.pop("params", {})
        token, refreshed, waits = self.tokens.get(), False, Waits(self.backoff)
        while True:
            try:
                return self._request(method, path, api_base_url=self.api_base + "/",
                                     params={**params, "access_token": token}, **kwargs)
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_ERRORS and not refreshed:
                    token, refreshed = self.tokens.refresh(stale=token), True
                elif not (_retryable(exc) and waits.again()):
                    raise self._error(exc) from exc
            except requests.RequestException as exc:
                if not waits.again():
                    raise Unavailable("WeChat cannot be reached.") from exc

    def _error(self, exc: WeChatClientException):
        if exc.errcode is None:  # an HTTP error status, not a WeChat answer
            return Unavailable("WeChat answered with an HTTP error.")
        return wechat_error(exc.errcode, exc.errmsg, self.tokens.status)

    def code_to_session(self, js_code: str) -> dict:
        """sns/jscode2session (no access token needed): {openid, session_key, unionid?}."""
        params = {"appid": self.appid, "secret": self.secret, "js_code": js_code,
                  "grant_type": "authorization_code"}
        waits = Waits(self.backoff)
        while True:
            answer = json_answer(lambda: self._http.get(
                f"{self.api_base}/sns/jscode2session", params=params, timeout=self.timeout), waits)
            errcode = int(answer.get("errcode") or 0)
            if errcode == BUSY and waits.again():
                continue
            if errcode:
                raise wechat_error(errcode, answer.get("errmsg"), self.tokens.status)
            return answer

    def user_phone_number(self, code: str, openid: str | None = None) -> str:
        """wxa/business/getuserphonenumber: the phone number in E.164 (+<country code><number>).
        With `openid`, WeChat also checks the code is that user's."""
        body = {"code": code, **({"openid": openid} if openid else {})}
        info = self.call("post", "wxa/business/getuserphonenumber", data=body)["phone_info"]
        return f"+{info['countryCode']}{info['purePhoneNumber']}"

    def wxa_code_unlimited(self, scene: str, page: str | None = None) -> "Image":
        """wxa/getwxacodeunlimit: the mini-program code carrying `scene`, as WeChat sends it
        (JPEG today), for the configured version (`env_version`, `check_path`)."""
        if not SCENE.fullmatch(scene):
            raise ValueError(f"not a WeChat scene (≤32 of [0-9A-Za-z!#$&'()*+,/:;=?@-._~]): {scene!r}")
        body = {"scene": scene, "check_path": self.check_path, "env_version": self.env_version}
        if page:
            body["page"] = page
        answer = self.call("post", "wxa/getwxacodeunlimit", data=body)
        if isinstance(answer, dict):  # an error came back as JSON with errcode 0?
            raise WechatError(details={"errcode": answer.get("errcode"), "errmsg": "not an image"})
        return Image(answer.content, image_type(answer.content))

    def account_templates(self) -> dict[str, dict]:
        """wxaapi/newtmpl/gettemplate: the account's subscribe templates by id, each
        {title, keys: [data key, ...], type}."""
        answer = self.call("get", "wxaapi/newtmpl/gettemplate")
        return {t["priTmplId"]: {"title": t.get("title"), "type": t.get("type"),
                                 "keys": TEMPLATE_KEY.findall(t.get("content") or "")}
                for t in answer.get("data") or []}

    def send_subscribe(self, openid: str, template_id: str, page: str | None, data: dict):
        body = {"touser": openid, "template_id": template_id, "data": data,
                "miniprogram_state": "formal", "lang": "zh_CN"}
        if page:
            body["page"] = page
        return self.call("post", "cgi-bin/message/subscribe/send", data=body)


class Image(NamedTuple):
    content: bytes
    content_type: str


def image_type(content: bytes) -> str:
    """The content type of an image's bytes (WeChat's codes are JPEG; older ones PNG)."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "image/jpeg" if content.startswith(b"\xff\xd8\xff") else "application/octet-stream"


def _retryable(exc: WeChatClientException) -> bool:
    """WeChat busy, or an HTTP 5xx on the way to it."""
    if exc.errcode is None:
        return exc.response is not None and exc.response.status_code >= 500
    return exc.errcode == BUSY


def client() -> WechatClient:
    return WechatClient.from_config()
