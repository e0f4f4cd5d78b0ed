"""WeChat's rules, as the fake enforces them: errcodes, code formats, subscribe-message values.

Kept apart from the routes so that what WeChat accepts can be read (and checked against its
documentation) in one place, without the HTTP plumbing around it.
"""
from __future__ import annotations

import datetime as dt
import re

TOKEN_TTL = 7200   # seconds an access token lives, as WeChat's do
EARLY_ROTATION = 300   # stable_token hands out a new token when the current one has less left
FORCE_REFRESH_PER_DAY = 20   # stable_token force_refresh: at most this many a day …
FORCE_REFRESH_SPACING = 30   # … and this many seconds apart (sooner: the current token, as is)
PHONE_CODE_TTL = 300   # a getPhoneNumber code works once, within 5 minutes
DAY_OFFSET = 8 * 3600   # WeChat's quotas reset at midnight, Beijing time

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40014: "invalid access_token",
    40029: "invalid code",
    40037: "invalid template_id",
    40066: "invalid url",
    40097: "invalid args",
    40125: "invalid appsecret",
    40163: "code been used",
    40164: "invalid ip, not in whitelist",
    40169: "invalid length for scene, or the data is not json string",
    40226: "high risk user, login blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit",
    47001: "data format error",
    47003: "argument invalid!",
}

#: fake:<openid>[:<unionid>[:<nonce>]] (an empty unionid means none; the nonce makes another
#: one-time code for the same user, as wx.login() gives a new code each time)
LOGIN_CODE = re.compile(r"fake:([^:]+)(?::([^:]*))?(?::([^:]+))?")
#: fakephone:<11 digits> (a mainland number) or fakephone:+<country code>:<number>, each with
#: an optional :<nonce> making another one-time code for the same number
PHONE_CODE = re.compile(
    r"fakephone:(?:\+([0-9]{1,3}):([0-9]{4,14})|([0-9]{11}))(?::([0-9A-Za-z_-]{1,32}))?")
SCENE = re.compile(r"[0-9a-zA-Z!#$&'()*+,/:;=?@\-._~]{1,32}")
ENV_VERSIONS = {"release", "trial", "develop"}
MINIPROGRAM_STATES = {"developer", "trial", "formal"}
LANGS = {"zh_CN", "en_US", "zh_HK", "zh_TW"}


# --- subscribe-message value rules (key prefix = type) ---------------------

_DATE = re.compile(r"([0-9]{4})(?:年([0-9]{1,2})月([0-9]{1,2})日|([-/])([0-9]{1,2})\4([0-9]{1,2}))")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def _moment(text):
    """(has_date, has_time) for '2026年12月31日', '2026-12-31 12:00', '15:01'...; None if bad."""
    text, has_date = text.strip(), False
    m = _DATE.match(text)
    if m:
        month, day = m.group(2) or m.group(5), m.group(3) or m.group(6)
        try:
            dt.date(int(m.group(1)), int(month), int(day))
        except ValueError:
            return None
        has_date, text = True, text[m.end():].strip()
    if not text:
        return (True, False) if has_date else None
    m = _TIME.fullmatch(text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
        return None
    return has_date, True


def _moments(value, need):
    """A moment or a 'a~b' range of them, each having a date (need=0) / a time (need=1)."""
    parts = value.split("~")
    return len(parts) <= 2 and all((_moment(p) or (False, False))[need] for p in parts)


def _name(v):
    if re.search(r"[0-9]", v):
        return False
    return len(v) <= (20 if v.isascii() else 10)


def _car_number(v):
    """8 chars at most; only the first and last may be Chinese."""
    edge = "[\u4e00-\u9fffA-Za-z0-9]"
    return len(v) <= 8 and re.fullmatch(f"{edge}(?:[A-Za-z0-9]*{edge})?", v)


VALUE_RULES = {
    "thing": lambda v: len(v) <= 20,
    "short_thing": lambda v: len(v) <= 5,
    "number": lambda v: len(v) <= 32 and re.fullmatch(r"[0-9]+(\.[0-9]+)?", v),
    "letter": lambda v: re.fullmatch(r"[A-Za-z]{1,32}", v),
    "symbol": lambda v: len(v) <= 5 and all(c.isascii() and not c.isalnum() for c in v),
    "character_string": lambda v: re.fullmatch(r"[\x21-\x7e]{1,32}", v),
    "time": lambda v: _moments(v, 1),
    "date": lambda v: _moments(v, 0),
    "amount": lambda v: re.fullmatch(r"[¥￥$]?[0-9]{1,10}(\.[0-9]+)?元?", v),
    "phone_number": lambda v: re.fullmatch(r"[0-9+\-() ]{1,17}", v) and re.search(r"[0-9]", v),
    "car_number": _car_number,
    "name": _name,
    "phrase": lambda v: re.fullmatch(r"[\u4e00-\u9fff]{1,5}", v),
}


def data_error(data):
    """WeChat's 47003 errmsg for the first bad entry of a subscribe `data`, or None."""
    if not isinstance(data, dict) or not data:
        return "argument invalid! data is empty"
    for key, item in data.items():
        m = re.fullmatch(r"([a-z_]+?)[0-9]*", key)
        rule = VALUE_RULES.get(m.group(1)) if m else None
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            return f"argument invalid! data.{key}.value is empty"
        if rule is None or not rule(value):
            return f"argument invalid! data.{key}.value invalid"
    return None


# --- failure rules (POST /_fake/fail) --------------------------------------

def failure_rule(body):
    """Validated /_fake/fail rule, or an error string."""
    if not body or not body.get("path"):
        return "path required"
    rule = {k: body[k] for k in ("errcode", "errmsg", "status", "delay_ms") if k in body}
    if not any(k in rule for k in ("errcode", "status", "delay_ms")):
        return "one of errcode, status, delay_ms required"
    try:
        rule["times"] = int(body.get("times", 1))
        for key in ("errcode", "status", "delay_ms"):
            if key in rule:
                rule[key] = int(rule[key])
    except (TypeError, ValueError):
        return "times, errcode, status and delay_ms must be integers"
    return rule if rule["times"] > 0 else "times must be positive"


def phone_of(match) -> tuple[str, str]:
    """(country code, number without it) of a PHONE_CODE match."""
    return (match.group(1), match.group(2)) if match.group(1) else ("86", match.group(3))


def quota_rule(body):
    """Validated POST /_fake/quota rule ({path, daily?, per_minute?}), or an error string."""
    if not body or not body.get("path"):
        return "path required"
    try:
        rule = {k: int(body[k]) for k in ("daily", "per_minute") if body.get(k) is not None}
    except (TypeError, ValueError):
        return "daily and per_minute must be integers"
    if not rule or min(rule.values()) < 0:
        return "daily or per_minute required, not negative"
    return rule
