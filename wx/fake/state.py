"""What the fake remembers between requests: tokens, used codes, sent messages, failures, the
account's templates and released pages, and the switches (whitelist, blocked users, quotas).

One FakeState per app (``app.extensions["fake_wechat"]``), so two fakes in one process (a test
with its own credentials next to the shared one) never see each other's tokens. Its clock is
the real one plus `offset` (POST /_fake/clock), so tests can age tokens and phone codes.
"""
from __future__ import annotations

import secrets
import threading
import time

from wx.fake.account import DEFAULT_PAGES, default_templates
from wx.fake.rules import DAY_OFFSET, FORCE_REFRESH_PER_DAY, FORCE_REFRESH_SPACING, TOKEN_TTL


def _new_token():
    return secrets.token_urlsafe(96)  # real tokens are ~130 chars of [A-Za-z0-9_-]


class FakeState:
    """Everything the fake remembers; guard every access with `lock`."""

    def __init__(self, appid_secrets=None):
        self.lock = threading.Lock()
        self.appid_secrets = dict(appid_secrets) if appid_secrets else None
        self.reset()

    def reset(self):
        self.tokens = {}        # token -> {"appid", "expires_at", "dead_code"}
        self.stable = {}        # appid -> current stable token
        self.used_codes = set()
        self.failures = {}      # path -> [rule, ...] consumed in order
        self.refusals = set()   # (openid, template_id or None)
        self.messages = []
        self.calls = {}
        self.msgid = 0
        self.offset = 0.0       # seconds the fake's clock is ahead of the real one
        self.templates = default_templates()   # template_id -> {title, type, keys}
        self.pages = set(DEFAULT_PAGES)        # the released version's pages
        self.phone_codes = {}   # code issued by POST /_fake/phone-codes -> {issued_at, openid}
        self.used_phone_codes = set()
        self.forced = {}        # appid -> times of its stable_token force refreshes
        self.whitelist = None   # None: any address may call; else the allowed IPs (40164)
        self.blocked = set()    # openids whose login WeChat blocks (40226)
        self.quotas = {}        # path -> {daily?, per_minute?} (45009 / 45011)
        self.quota_calls = {}   # path -> times of its calls since its quota was set

    def now(self):
        return time.time() + self.offset

    def day(self, moment=None):
        """The number of the Beijing calendar day `moment` (default now) falls on."""
        return int(((self.now() if moment is None else moment) + DAY_OFFSET) // 86400)

    def check_app(self, appid, secret):
        if not appid:
            return 41002
        if not secret:
            return 41004
        if self.appid_secrets is not None:
            if appid not in self.appid_secrets:
                return 40013
            if self.appid_secrets[appid] != secret:
                return 40125
        return None

    def issue_token(self, appid):
        token = _new_token()
        self.tokens[token] = {"appid": appid, "expires_at": self.now() + TOKEN_TTL}
        return token

    def live_token(self, token):
        rec = self.tokens.get(token)
        return rec if rec and not rec.get("dead_code") and rec["expires_at"] > self.now() else None

    def seconds_left(self, token):
        return int(self.tokens[token]["expires_at"] - self.now())

    def force_refresh_error(self, appid):
        """For a force_refresh: 45009 past the day's 20, "keep" within 30 s of the last one
        (WeChat then hands out the current token unchanged), else None (and it is counted)."""
        times = self.forced.setdefault(appid, [])
        if times and self.now() - times[-1] < FORCE_REFRESH_SPACING:
            return "keep"
        if sum(1 for t in times if self.day(t) == self.day()) >= FORCE_REFRESH_PER_DAY:
            return 45009
        times.append(self.now())
        return None

    def token_error(self, token):
        """None if `token` may be used, else the errcode WeChat would answer."""
        if not token:
            return 41001
        rec = self.tokens.get(token)
        if rec is None:
            return 40001
        if rec.get("dead_code"):
            return rec["dead_code"]
        return 42001 if rec["expires_at"] <= self.now() else None

    def take_failure(self, path):
        rules = self.failures.get(path) or []
        if not rules:
            return None
        rule = rules[0]
        rule["times"] -= 1
        if rule["times"] <= 0:
            rules.pop(0)
        return rule

    def refused(self, touser, template_id):
        return (touser, None) in self.refusals or (touser, template_id) in self.refusals

    def quota_error(self, path):
        """45009 past the path's daily quota, 45011 past its minute quota, else None (the call
        is counted)."""
        quota = self.quotas.get(path)
        if quota is None:
            return None
        now, calls = self.now(), self.quota_calls.setdefault(path, [])
        if "daily" in quota and sum(1 for t in calls if self.day(t) == self.day()) >= quota["daily"]:
            return 45009
        if "per_minute" in quota and sum(1 for t in calls if now - t < 60) >= quota["per_minute"]:
            return 45011
        calls.append(now)
        return None

    def ip_error(self, address):
        """WeChat's 40164 errmsg when `address` is not on the whitelist, else None."""
        if self.whitelist is None or address in self.whitelist:
            return None
        return f"invalid ip {address} ipv6 ::ffff:{address}, not in whitelist"
