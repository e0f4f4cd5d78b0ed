"""The one way Jifen talks to WeChat: a wechatpy client with our base URL, a stable access token
shared by every process through Redis, and WeChat's answers turned into the contract's errors.

- The access token comes from `cgi-bin/stable_token`: asking again returns the same token, so
  processes never invalidate each other. One process refreshes at a time (a Redis lock); the
  others wait for its result.
- wechatpy's `auto_retry` retries 40001/42001 without limit; it is off. A token error refreshes
  the token once and tries again, then fails. WeChat busy (-1) is retried with a short backoff.
- Errors: a WeChat errcode → `WechatError` (502, errcode in details); no answer → `Unavailable`
  (503). Callers map the few errcodes the contract treats otherwise (a bad login code → 401).
"""
import time

import requests
from flask import current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from core.errors import Unavailable, WechatError
from core.redis import get_redis, rkey

TOKEN_ERRORS = (40001, 42001)
BUSY = -1
BUSY_RETRIES = 2
BUSY_BACKOFF = 0.2
LOCK_SECONDS = 10


class TokenCache:
    """The stable access token of one appid, cached in Redis for every process."""

    def __init__(self, api_base: str, appid: str, secret: str, redis=None, http=None, timeout=5.0):
        self.api_base, self.appid, self.secret = api_base.rstrip("/"), appid, secret
        self.redis = redis or get_redis()
        self.http = http or requests.Session()
        self.timeout = timeout
        self.key = rkey("wx", "access-token", appid)

    def get(self) -> str:
        cached = self.redis.get(self.key)
        return cached.decode() if cached else self.refresh()

    def refresh(self, stale: str | None = None) -> str:
        """A token other than `stale`: fetched by one process at a time, shared by all."""
        with self.redis.lock(self.key + ":lock", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS):
            cached = self.redis.get(self.key)
            if cached and cached.decode() != stale:
                return cached.decode()  # another process refreshed it while we waited
            answer = self._fetch()
            ttl = max(int(answer.get("expires_in", 7200)) - 300, 60)
            self.redis.set(self.key, answer["access_token"], ex=ttl)
            return answer["access_token"]

    def _fetch(self) -> dict:
        try:
            response = self.http.post(f"{self.api_base}/cgi-bin/stable_token", timeout=self.timeout,
                                      json={"grant_type": "client_credential", "appid": self.appid,
                                            "secret": self.secret, "force_refresh": False})
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise Unavailable("WeChat cannot be reached.") from exc
        if "access_token" not in answer:
            raise WechatError(details={"errcode": answer.get("errcode"),
                                       "errmsg": answer.get("errmsg")})
        return answer


class WechatClient(WeChatClient):
    """wechatpy's client pointed at `api_base`, with the token cache and error policy above."""

    def __init__(self, api_base: str, appid: str, secret: str, *, redis=None, timeout=5.0):
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = self.api_base + "/cgi-bin/"
        self.wxa.API_BASE_URL = self.api_base + "/"
        self.tokens = TokenCache(self.api_base, appid, secret, redis=redis, http=self._http,
                                 timeout=timeout)

    @classmethod
    def from_config(cls, config=None) -> "WechatClient":
        config = config or current_app.config
        return cls(config["WECHAT_API_BASE"], config["WECHAT_APPID"], config["WECHAT_SECRET"],
                   timeout=config["WECHAT_TIMEOUT"])

    @property
    def access_token(self):
        return self.tokens.get()

    def fetch_access_token(self):
        return {"access_token": self.tokens.refresh()}

    def call(self, method: str, path: str, **kwargs):
        """`path` under the API root (e.g. "wxa/getwxacodeunlimit"), with the access token;
        returns the decoded JSON, or the raw response for a binary answer (an image)."""
        token, refreshed, busy = self.tokens.get(), False, 0
        while True:
            try:
                return self._request(method, path, api_base_url=self.api_base + "/",
                                     params={**kwargs.pop("params", {}), "access_token": token},
                                     **kwargs)
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_ERRORS and not refreshed:
                    token, refreshed = self.tokens.refresh(stale=token), True
                elif exc.errcode == BUSY and busy < BUSY_RETRIES:
                    time.sleep(BUSY_BACKOFF * 2 ** busy)
                    busy += 1
                else:
                    raise _error(exc) from exc
            except requests.RequestException as exc:
                raise Unavailable("WeChat cannot be reached.") from exc

    def code_to_session(self, js_code: str) -> dict:
        """sns/jscode2session (no access token needed): {openid, session_key, unionid?}."""
        busy = 0
        while True:
            try:
                response = self._http.get(f"{self.api_base}/sns/jscode2session", timeout=self.timeout,
                                          params={"appid": self.appid, "secret": self.secret,
                                                  "js_code": js_code,
                                                  "grant_type": "authorization_code"})
                answer = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise Unavailable("WeChat cannot be reached.") from exc
            errcode = int(answer.get("errcode") or 0)
            if errcode == BUSY and busy < BUSY_RETRIES:
                time.sleep(BUSY_BACKOFF * 2 ** busy)
                busy += 1
                continue
            if errcode:
                raise WechatError(details={"errcode": errcode, "errmsg": answer.get("errmsg")})
            return answer

    def user_phone_number(self, code: str) -> str:
        """wxa/business/getuserphonenumber: the phone number (without country code)."""
        answer = self.call("post", "wxa/business/getuserphonenumber", data={"code": code})
        return answer["phone_info"]["purePhoneNumber"]

    def wxa_code_unlimited(self, scene: str, page: str | None = None) -> bytes:
        """wxa/getwxacodeunlimit: a mini-program code PNG carrying `scene`."""
        body = {"scene": scene, "check_path": False}
        if page:
            body["page"] = page
        answer = self.call("post", "wxa/getwxacodeunlimit", data=body)
        if isinstance(answer, dict):  # an error came back as JSON with errcode 0?
            raise WechatError(details={"errcode": answer.get("errcode"), "errmsg": "not an image"})
        return answer.content

    def send_subscribe(self, openid: str, template_id: str, page: str | None, data: dict):
        body = {"touser": openid, "template_id": template_id, "data": data,
                "miniprogram_state": "formal", "lang": "zh_CN"}
        if page:
            body["page"] = page
        return self.call("post", "cgi-bin/message/subscribe/send", data=body)


def _error(exc: WeChatClientException):
    if exc.errcode is None:  # an HTTP error status, not a WeChat answer
        return Unavailable("WeChat answered with an HTTP error.")
    return WechatError(details={"errcode": exc.errcode, "errmsg": str(exc.errmsg)})


def client() -> WechatClient:
    return WechatClient.from_config()
