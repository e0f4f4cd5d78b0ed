"""Subscribe messages: the account's templates (wxaapi/newtmpl/gettemplate) and sending one
(cgi-bin/message/subscribe/send), checked against them as WeChat does."""
from __future__ import annotations

from flask import request

from wx.fake.account import key_set_error, listed, released
from wx.fake.replies import error_reply, json_body, ok_reply
from wx.fake.rules import LANGS, MINIPROGRAM_STATES, data_error


def checked_token(state):
    """(appid, None) for a usable ?access_token=, else (None, error response)."""
    token = request.args.get("access_token", "")
    with state.lock:
        code = state.token_error(token)
        appid = None if code else state.tokens[token]["appid"]
    return (None, error_reply(code)) if code else (appid, None)


def register_messages(app, state):
    @app.get("/wxaapi/newtmpl/gettemplate")
    def account_templates():
        _appid, error = checked_token(state)
        if error:
            return error
        with state.lock:
            data = [listed(tid, t) for tid, t in state.templates.items()]
        return ok_reply(data=data)

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        _appid, error = checked_token(state)
        if error:
            return error
        body = json_body()
        if body is None:
            return error_reply(47001)
        with state.lock:
            return _subscribe_send(state, body)


def _subscribe_send(state, body):
    touser, template_id = body.get("touser"), body.get("template_id")
    if not touser or not isinstance(touser, str):
        return error_reply(40003)
    template = state.templates.get(template_id) if isinstance(template_id, str) else None
    if template is None:
        return error_reply(40037)
    mp_state = body.get("miniprogram_state") or "formal"
    if mp_state not in MINIPROGRAM_STATES:
        return error_reply(47003, "argument invalid! miniprogram_state invalid")
    if (body.get("lang") or "zh_CN") not in LANGS:
        return error_reply(47003, "argument invalid! lang invalid")
    page = str(body.get("page") or "")
    if page and mp_state == "formal" and not released(state.pages, page):
        return error_reply(41030)
    problem = key_set_error(template, body.get("data")) or data_error(body.get("data"))
    if problem:
        return error_reply(47003, problem)
    if state.refused(touser, template_id):
        return error_reply(43101)
    state.messages.append({"touser": touser, "template_id": template_id,
                           "data": body["data"], "page": body.get("page"),
                           "miniprogram_state": mp_state})
    state.msgid += 1
    return ok_reply(msgid=state.msgid)
