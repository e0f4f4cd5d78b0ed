"""Whether WeChat accepts this server, as last seen: "ok" after a token was fetched, or the
configuration problem WeChat named — today 40164, this server's IP missing from the
mini-program's API IP whitelist, the classic first-deploy failure. Kept in Redis for every
process; logged once when it starts; shown in /healthz's `wechat` detail and by
`flask --app app wx check`."""
import json
import logging
import re

from flask import current_app

from core import clock
from core.logs import log_event
from core.redis import get_redis, rkey

log = logging.getLogger(__name__)

IP_NOT_WHITELISTED = 40164
_IP = re.compile(r"invalid ip ([0-9A-Fa-f.:]+)")


def whitelist_fix(errmsg: str) -> str:
    """What an operator must do about a 40164, naming the address WeChat saw."""
    m = _IP.search(errmsg or "")
    ip = m.group(1) if m else "this server's public IP"
    return (f"add {ip} to the mini-program's API IP whitelist (mp.weixin.qq.com → 开发管理 → "
            "开发设置 → IP白名单), or call WeChat through an address already on it")


class WechatStatus:
    """The last-seen status of one appid: {"status", "at", "errcode"?, "fix"?}."""

    def __init__(self, redis, appid: str, key: str):
        self.redis, self.appid, self.key = redis, appid, key

    @classmethod
    def current(cls) -> "WechatStatus":
        appid = current_app.config["WECHAT_APPID"]
        return cls(get_redis(), appid, rkey("wx", "status", appid))

    def ok(self) -> None:
        self.redis.set(self.key, json.dumps({"status": "ok", "at": clock.now().isoformat()}))

    def ip_refused(self, errmsg: str) -> str:
        """Record (and, the first time, log) a 40164; returns the fix."""
        fix = whitelist_fix(errmsg)
        before = self.redis.set(self.key, json.dumps({
            "status": "ip_not_whitelisted", "errcode": IP_NOT_WHITELISTED, "fix": fix,
            "at": clock.now().isoformat()}), get=True)
        if before is None or json.loads(before)["status"] != "ip_not_whitelisted":
            log_event(log, "wechat_ip_not_whitelisted", level=logging.ERROR, appid=self.appid,
                      errcode=IP_NOT_WHITELISTED, errmsg=errmsg, fix=fix)
        return fix

    def read(self) -> dict | None:
        raw = self.redis.get(self.key)
        return json.loads(raw) if raw else None


def wechat_health() -> str:
    """/healthz detail: "ok", "not checked yet", or the problem and its fix."""
    last = WechatStatus.current().read()
    if last is None:
        return "not checked yet"
    if last["status"] == "ok":
        return "ok"
    return f"{last['status']} (WeChat {last['errcode']} at {last['at']}): {last['fix']}"
