"""The /_fake/* endpoints (not WeChat's): tests and developers steer and inspect the fake.

Apart from the WeChat routes so that what WeChat does and what only the fake offers are never
mixed up; these paths are neither counted nor subject to injected failures (see routes.py).
"""
from __future__ import annotations

from wx.fake.replies import json_body, json_reply, ok_reply
from wx.fake.rules import failure_rule


def _norm_path(path):
    # "sns/jscode2session" and "/sns/jscode2session" name the same route
    return "/" + str(path or "").strip().lstrip("/")


def register_control(app, state):
    @app.post("/_fake/fail")
    def add_failure():
        body = json_body()
        rule = failure_rule(body)
        if isinstance(rule, str):
            return json_reply({"error": rule}, status=400)
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
            return json_reply({"error": "touser required"}, status=400)
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
        dead_code = int((json_body() or {}).get("errcode") or 40001)
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
