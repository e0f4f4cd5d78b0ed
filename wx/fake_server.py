"""Fake of the WeChat server API, over real HTTP, for development and tests.

Run it:   python -m wx.fake_server --port 8800 [--host 127.0.0.1] [--app APPID=SECRET ...]
Embed it: with FakeWechatServer() as wx: requests.get(wx.url + "/cgi-bin/token", ...)

All state lives in the Flask app built by ``create_fake_app(appid_secrets=None)``;
``appid_secrets`` (appid -> secret) restricts which credentials are accepted,
otherwise any non-empty appid/secret is.  Responses are WeChat-shaped JSON
(``application/json; charset=utf-8``, non-ASCII kept as is) and HTTP 200 even on
errors, as WeChat does.  Request bodies are parsed as JSON whatever the
Content-Type (wechatpy sends none).

WeChat endpoints
  GET  /cgi-bin/token?grant_type=client_credential&appid=&secret=
  POST /cgi-bin/stable_token        {grant_type, appid, secret, force_refresh}
       same token while valid; force_refresh issues a new one, the old one dies
  GET  /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code
  POST /wxa/business/getuserphonenumber?access_token=   {code}
  POST /wxa/getwxacodeunlimit?access_token=            {scene, page, ...} -> PNG
  POST /cgi-bin/message/subscribe/send?access_token=   {touser, template_id, data, ...}
  anything else -> 40066 "invalid url"

Fake codes
  js_code  "fake:<openid>[:<unionid>[:<nonce>]]"  single use (40163), else 40029
  phone    "fakephone:<11 digits>"                        else 40029

Control endpoints (not WeChat)
  POST   /_fake/fail          {path, errcode|status|delay_ms, errmsg?, times=1}
  DELETE /_fake/fail          drop all pending failures
  POST   /_fake/refuse        {touser, template_id?} -> sends answer 43101
  DELETE /_fake/refuse        {touser?, template_id?} (empty body: clear all)
  POST   /_fake/expire-token  {errcode?: 40001|42001} old tokens answer that code
  GET|DELETE /_fake/messages  accepted subscribe messages, in order
  GET|DELETE /_fake/calls     {path: count} of every WeChat call, failures included
  POST   /_fake/reset         forget everything

Errcodes used: -1 40001 40002 40003 40013 40029 40037 40066 40097 40125 40163
40169 41001 41002 41004 41008 41030 42001 43001 43002 43101 45009 45011 47001 47003.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import os
import re
import secrets
import struct
import threading
import time
import zlib

from flask import Flask, Response, request
from werkzeug.serving import make_server

TOKEN_TTL = 7200

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40066: "invalid url",
    40097: "invalid args",
    40125: "invalid appsecret",
    40163: "code been used",
    40169: "invalid length for scene, or the data is not json string",
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
PHONE_CODE = re.compile(r"fakephone:([0-9]{11})")
SCENE = re.compile(r"[0-9a-zA-Z!#$&'()*+,/:;=?@\-._~]{1,32}")
ENV_VERSIONS = {"release", "trial", "develop"}
MINIPROGRAM_STATES = {"developer", "trial", "formal"}
LANGS = {"zh_CN", "en_US", "zh_HK", "zh_TW"}


# --- HTTP helpers ----------------------------------------------------------

def _json(payload, status=200):
    body = json.dumps(payload, ensure_ascii=False)
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def _err(errcode, errmsg=None):
    return _json({"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "error")})


def _ok(**extra):
    return _json({"errcode": 0, "errmsg": "ok", **extra})


def _body():
    """The request body as a JSON object ({} when empty, None when malformed)."""
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _norm_path(path):
    return "/" + str(path or "").strip().lstrip("/")


def _new_token():
    return secrets.token_urlsafe(96)  # real tokens are ~130 chars of [A-Za-z0-9_-]


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


def _data_error(data):
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


# --- PNG -------------------------------------------------------------------

def _qr_png(text):
    """A QR code PNG of `text` (qrcode package), else a tiny valid checkerboard PNG."""
    try:
        import qrcode

        buf = io.BytesIO()
        qrcode.make(text).save(buf)
        return buf.getvalue()
    except Exception:  # qrcode (or its PIL/pypng backend) missing
        return _plain_png(21)


def _plain_png(size):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + bytes(0 if (x + y) % 2 else 255 for x in range(size)) for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# --- state -----------------------------------------------------------------

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


# --- the app ---------------------------------------------------------------

def create_fake_app(appid_secrets=None):
    app = Flask(__name__)
    state = FakeState(appid_secrets)
    app.extensions["fake_wechat"] = state
    _register_hooks(app, state)
    _register_auth(app, state)
    _register_wxa(app, state)
    _register_control(app, state)
    return app


def _register_hooks(app, state):
    @app.before_request
    def count_and_inject():
        path = request.path
        if path.startswith("/_fake/"):
            return None
        with state.lock:
            state.calls[path] = state.calls.get(path, 0) + 1
            rule = state.take_failure(path)
        if rule is None:
            return None
        if rule.get("delay_ms"):
            time.sleep(rule["delay_ms"] / 1000.0)
        if rule.get("status"):
            return Response(b"", status=rule["status"], content_type="text/plain")
        if rule.get("errcode") is not None:
            return _err(rule["errcode"], rule.get("errmsg"))
        return None

    @app.errorhandler(404)
    def unknown_path(_exc):
        return _err(40066)

    @app.errorhandler(405)
    def wrong_method(_exc):
        return _err(43002 if request.method == "GET" else 43001)


def _checked_token(state):
    """(appid, None) for a usable ?access_token=, else (None, error response)."""
    token = request.args.get("access_token", "")
    with state.lock:
        code = state.token_error(token)
        appid = None if code else state.tokens[token]["appid"]
    return (None, _err(code)) if code else (appid, None)


def _register_auth(app, state):
    @app.get("/cgi-bin/token")
    def token():
        args = request.args
        if args.get("grant_type") != "client_credential":
            return _err(40002)
        with state.lock:
            code = state.check_app(args.get("appid"), args.get("secret"))
            if code:
                return _err(code)
            return _json({"access_token": state.issue_token(args["appid"]),
                          "expires_in": TOKEN_TTL})

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        body = _body()
        if body is None:
            return _err(47001)
        if body.get("grant_type") != "client_credential":
            return _err(40002)
        appid = body.get("appid")
        force = str(body.get("force_refresh")).lower() == "true"   # true or "true"
        with state.lock:
            code = state.check_app(appid, body.get("secret"))
            if code:
                return _err(code)
            current = state.stable.get(appid)
            if force and current:
                state.tokens.pop(current, None)   # force_refresh kills the old token
            elif current and state.live_token(current):
                left = int(state.tokens[current]["expires_at"] - time.time())
                return _json({"access_token": current, "expires_in": left})
            state.stable[appid] = state.issue_token(appid)
            return _json({"access_token": state.stable[appid], "expires_in": TOKEN_TTL})

    @app.get("/sns/jscode2session")
    def jscode2session():
        args = request.args
        code = args.get("js_code", "")
        with state.lock:
            app_err = state.check_app(args.get("appid"), args.get("secret"))
            if app_err:
                return _err(app_err)
            if not code:
                return _err(41008)
            m = LOGIN_CODE.fullmatch(code)
            if not m:
                return _err(40029)
            if code in state.used_codes:
                return _err(40163)
            state.used_codes.add(code)
        result = {"openid": m.group(1),
                  "session_key": base64.b64encode(os.urandom(16)).decode()}
        if m.group(2):
            result["unionid"] = m.group(2)
        return _json(result)


def _register_wxa(app, state):
    @app.post("/wxa/business/getuserphonenumber")
    def phone_number():
        appid, error = _checked_token(state)
        if error:
            return error
        body = _body()
        if body is None:
            return _err(47001)
        m = PHONE_CODE.fullmatch(str(body.get("code") or ""))
        if not m:
            return _err(40029)
        phone = m.group(1)
        return _ok(phone_info={
            "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
            "watermark": {"timestamp": int(time.time()), "appid": appid}})

    @app.post("/wxa/getwxacodeunlimit")
    def wxacode_unlimit():
        _appid, error = _checked_token(state)
        if error:
            return error
        body = _body()
        if body is None:
            return _err(47001)
        scene, page = str(body.get("scene", "")), str(body.get("page") or "")
        if not SCENE.fullmatch(scene):
            return _err(40169)
        if page.startswith("/") or "?" in page:
            return _err(41030)
        if body.get("env_version", "release") not in ENV_VERSIONS:
            return _err(40097)
        return Response(_qr_png(f"{page}?scene={scene}"), content_type="image/png")

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        _appid, error = _checked_token(state)
        if error:
            return error
        body = _body()
        if body is None:
            return _err(47001)
        return _subscribe_send(state, body)


def _subscribe_send(state, body):
    touser, template_id = body.get("touser"), body.get("template_id")
    if not touser or not isinstance(touser, str):
        return _err(40003)
    if not template_id or not isinstance(template_id, str):
        return _err(40037)
    mp_state = body.get("miniprogram_state") or "formal"
    if mp_state not in MINIPROGRAM_STATES:
        return _err(47003, "argument invalid! miniprogram_state invalid")
    if (body.get("lang") or "zh_CN") not in LANGS:
        return _err(47003, "argument invalid! lang invalid")
    problem = _data_error(body.get("data"))
    if problem:
        return _err(47003, problem)
    with state.lock:
        if state.refused(touser, template_id):
            return _err(43101)
        state.messages.append({"touser": touser, "template_id": template_id,
                               "data": body["data"], "page": body.get("page"),
                               "miniprogram_state": mp_state})
        state.msgid += 1
        return _ok(msgid=state.msgid)


def _failure_rule(body):
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


def _register_control(app, state):
    @app.post("/_fake/fail")
    def add_failure():
        body = _body()
        rule = _failure_rule(body)
        if isinstance(rule, str):
            return _json({"error": rule}, status=400)
        with state.lock:
            state.failures.setdefault(_norm_path(body["path"]), []).append(rule)
        return _ok()

    @app.delete("/_fake/fail")
    def clear_failures():
        with state.lock:
            state.failures.clear()
        return _ok()

    @app.post("/_fake/refuse")
    def refuse():
        body = _body() or {}
        if not body.get("touser"):
            return _json({"error": "touser required"}, status=400)
        with state.lock:
            state.refusals.add((body["touser"], body.get("template_id") or None))
        return _ok()

    @app.delete("/_fake/refuse")
    def unrefuse():
        body = _body() or {}
        touser, template_id = body.get("touser"), body.get("template_id")
        with state.lock:
            state.refusals = {
                (u, t) for (u, t) in state.refusals
                if touser and (u != touser or (template_id and t != template_id))}
        return _ok()

    @app.post("/_fake/expire-token")
    def expire_tokens():
        dead_code = int((_body() or {}).get("errcode") or 40001)
        with state.lock:
            if dead_code == 40001:
                state.tokens.clear()   # forgotten: WeChat answers 40001
            for rec in state.tokens.values():
                rec["dead_code"] = dead_code
        return _ok()

    @app.get("/_fake/messages")
    def messages():
        with state.lock:
            return _json(list(state.messages))

    @app.delete("/_fake/messages")
    def clear_messages():
        with state.lock:
            state.messages.clear()
        return _ok()

    @app.get("/_fake/calls")
    def calls():
        with state.lock:
            return _json(dict(state.calls))

    @app.delete("/_fake/calls")
    def clear_calls():
        with state.lock:
            state.calls.clear()
        return _ok()

    @app.post("/_fake/reset")
    def reset():
        with state.lock:
            state.reset()
        return _ok()


# --- running it ------------------------------------------------------------

class FakeWechatServer:
    """The fake app served by werkzeug in a background thread."""

    def __init__(self, port=0, host="127.0.0.1", appid_secrets=None):
        self.host, self.port = host, port
        self.app = create_fake_app(appid_secrets)
        self._server = None
        self._thread = None

    @property
    def state(self):
        return self.app.extensions["fake_wechat"]

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError("FakeWechatServer is not started")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def start(self):
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True)
            self.port = self._server.server_port
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="fake-wechat", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake WeChat server API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--app", action="append", default=[], metavar="APPID=SECRET",
                        help="accept only these credentials (repeatable)")
    args = parser.parse_args(argv)
    secrets_map = dict(item.split("=", 1) for item in args.app) or None
    server = make_server(args.host, args.port, create_fake_app(secrets_map), threaded=True)
    print(f"fake WeChat server on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
