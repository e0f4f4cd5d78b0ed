"""WeChat-shaped replies and request bodies, shared by the WeChat routes and the control ones.

WeChat answers JSON with ``application/json; charset=utf-8``, non-ASCII kept as is, and HTTP
200 even on errors; it reads bodies as JSON whatever the Content-Type (wechatpy sends none).
"""
from __future__ import annotations

import json

from flask import Response, request

from wx.fake.rules import ERRMSG


def json_reply(payload, status=200):
    body = json.dumps(payload, ensure_ascii=False)
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def error_reply(errcode, errmsg=None):
    return json_reply({"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "error")})


def ok_reply(**extra):
    return json_reply({"errcode": 0, "errmsg": "ok", **extra})


def json_body():
    """The request body as a JSON object ({} when empty, None when malformed)."""
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
