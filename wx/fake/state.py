"""What the fake remembers between requests: tokens, used codes, sent messages, failures.

One FakeState per app (``app.extensions["fake_wechat"]``), so two fakes in one process (a test
with its own credentials next to the shared one) never see each other's tokens.
"""
from __future__ import annotations

import secrets
import threading
import time

from wx.fake.rules import TOKEN_TTL


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
        self.tokens[token] = {"appid": appid, "expires_at": time.time() + TOKEN_TTL}
        return token

    def live_token(self, token):
        rec = self.tokens.get(token)
        return rec if rec and not rec.get("dead_code") and rec["expires_at"] > time.time() else None

    def token_error(self, token):
        """None if `token` may be used, else the errcode WeChat would answer."""
        if not token:
            return 41001
        rec = self.tokens.get(token)
        if rec is None:
            return 40001
        if rec.get("dead_code"):
            return rec["dead_code"]
        return 42001 if rec["expires_at"] <= time.time() else None

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
