"""The /_fake/* endpoints (not WeChat's): tests and developers steer and inspect the fake.

Apart from the WeChat routes so that what WeChat does and what only the fake offers are never
mixed up; these paths are neither counted nor subject to injected failures (see routes.py).
"""
from __future__ import annotations

from wx.fake.account import template_record
from wx.fake.replies import json_body, json_reply, ok_reply
from wx.fake.rules import failure_rule, quota_rule


def _norm_path(path):
    # "sns/jscode2session" and "/sns/jscode2session" name the same route
    return "/" + str(path or "").strip().lstrip("/")


def _bad(message):
    return json_reply({"error": message}, status=400)


def register_control(app, state):
    _register_account(app, state)
    _register_switches(app, state)
    @app.post("/_fake/fail")
    def add_failure():
        body = json_body()
        rule = failure_rule(body)
        if isinstance(rule, str):
            return _bad(rule)
        with state.lock:
            state.failures.setdefault(_norm_path(body["path"]), []).append(rule)
        return ok_reply()

    @app.delete("/_fake/fail")
    def clear_failures():
        with state.lock:
            state.failures.clear()
        return ok_reply()

    @app.post("/_fake/refuse")
    def refuse():
        body = json_body() or {}
        if not body.get("touser"):
            return _bad("touser required")
        with state.lock:
            state.refusals.add((body["touser"], body.get("template_id") or None))
        return ok_reply()

    @app.delete("/_fake/refuse")
    def unrefuse():
        body = json_body() or {}
        touser, template_id = body.get("touser"), body.get("template_id")
        with state.lock:
            state.refusals = {
                (u, t) for (u, t) in state.refusals
                if touser and (u != touser or (template_id and t != template_id))}
        return ok_reply()

    @app.post("/_fake/expire-token")
    def expire_tokens():
        dead_code = int((json_body() or {}).get("errcode") or 40001)   # or 40014, 42001
        with state.lock:
            if dead_code == 40001:
                state.tokens.clear()   # forgotten: WeChat answers 40001
            for rec in state.tokens.values():
                rec["dead_code"] = dead_code
        return ok_reply()

    @app.get("/_fake/messages")
    def messages():
        with state.lock:
            return json_reply(list(state.messages))

    @app.delete("/_fake/messages")
    def clear_messages():
        with state.lock:
            state.messages.clear()
        return ok_reply()

    @app.get("/_fake/calls")
    def calls():
        with state.lock:
            return json_reply(dict(state.calls))

    @app.delete("/_fake/calls")
    def clear_calls():
        with state.lock:
            state.calls.clear()
        return ok_reply()

    @app.post("/_fake/reset")
    def reset():
        with state.lock:
            state.reset()
        return ok_reply()


def _register_account(app, state):
    """The account's templates and released pages, phone codes, the fake's clock."""
    @app.get("/_fake/templates")
    def templates():
        with state.lock:
            return json_reply(state.templates)

    @app.put("/_fake/templates/<template_id>")
    def put_template(template_id):
        record = template_record(json_body())
        if isinstance(record, str):
            return _bad(record)
        with state.lock:
            state.templates[template_id] = record
        return ok_reply()

    @app.delete("/_fake/templates/<template_id>")
    def delete_template(template_id):
        with state.lock:
            state.templates.pop(template_id, None)
        return ok_reply()

    @app.get("/_fake/pages")
    def pages():
        with state.lock:
            return json_reply(sorted(state.pages))

    @app.put("/_fake/pages")
    def put_pages():
        pages = (json_body() or {}).get("pages")
        if not isinstance(pages, list):
            return _bad("pages required: [page, ...] ([] = never released)")
        with state.lock:
            state.pages = {str(p) for p in pages}
        return ok_reply()

    @app.post("/_fake/phone-codes")
    def issue_phone_code():
        body = json_body() or {}
        phone, country = str(body.get("phone") or ""), str(body.get("country_code") or "86")
        if not phone.isdigit() or not country.isdigit():
            return _bad("phone (digits, without the country code) required")
        with state.lock:
            code = f"fakephone:+{country}:{phone}:issued{len(state.phone_codes) + 1}"
            state.phone_codes[code] = {"issued_at": state.now(), "openid": body.get("openid")}
        return ok_reply(code=code)

    @app.get("/_fake/clock")
    def clock():
        with state.lock:
            return ok_reply(now=state.now(), offset=state.offset)

    @app.post("/_fake/clock")
    def advance_clock():
        try:
            seconds = float((json_body() or {}).get("advance"))
        except (TypeError, ValueError):
            return _bad("advance (seconds) required")
        with state.lock:
            state.offset += seconds
        return ok_reply(now=state.now())


def _register_switches(app, state):
    """WeChat refusing this server (40164), a user (40226), or past a quota (45009/45011)."""
    @app.put("/_fake/ip-whitelist")
    def whitelist():
        ips = (json_body() or {}).get("ips")
        if not isinstance(ips, list):
            return _bad("ips required: [ip, ...]")
        with state.lock:
            state.whitelist = {str(ip) for ip in ips}
        return ok_reply()

    @app.delete("/_fake/ip-whitelist")
    def no_whitelist():
        with state.lock:
            state.whitelist = None
        return ok_reply()

    @app.post("/_fake/block")
    def block():
        openid = (json_body() or {}).get("openid")
        if not openid:
            return _bad("openid required")
        with state.lock:
            state.blocked.add(str(openid))
        return ok_reply()

    @app.delete("/_fake/block")
    def unblock():
        openid = (json_body() or {}).get("openid")
        with state.lock:
            state.blocked = {o for o in state.blocked if openid and o != openid}
        return ok_reply()

    @app.post("/_fake/quota")
    def quota():
        body = json_body()
        rule = quota_rule(body)
        if isinstance(rule, str):
            return _bad(rule)
        with state.lock:
            state.quotas[_norm_path(body["path"])] = rule
            state.quota_calls[_norm_path(body["path"])] = []
        return ok_reply()

    @app.delete("/_fake/quota")
    def no_quota():
        with state.lock:
            state.quotas.clear()
            state.quota_calls.clear()
        return ok_reply()
