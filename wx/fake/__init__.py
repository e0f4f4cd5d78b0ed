"""Fake of the WeChat server API, over real HTTP, for development and tests.

Run it:   python -m wx.fake --port 8800 [--host 127.0.0.1] [--app APPID=SECRET ...]
          (python -m wx.fake_server ... still works)
Embed it: with FakeWechatServer() as wx: requests.get(wx.url + "/cgi-bin/token", ...)

All state lives in the Flask app built by ``create_fake_app(appid_secrets=None)``;
``appid_secrets`` (appid -> secret) restricts which credentials are accepted,
otherwise any non-empty appid/secret is.  Responses are WeChat-shaped JSON
(``application/json; charset=utf-8``, non-ASCII kept as is) and HTTP 200 even on
errors, as WeChat does.  Request bodies are parsed as JSON whatever the
Content-Type (wechatpy sends none).

WeChat endpoints (routes.py)
  GET  /cgi-bin/token?grant_type=client_credential&appid=&secret=
  POST /cgi-bin/stable_token        {grant_type, appid, secret, force_refresh}
       same token while valid; force_refresh issues a new one, the old one dies
  GET  /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code
  POST /wxa/business/getuserphonenumber?access_token=   {code}
  POST /wxa/getwxacodeunlimit?access_token=            {scene, page, ...} -> PNG
  POST /cgi-bin/message/subscribe/send?access_token=   {touser, template_id, data, ...}
  anything else -> 40066 "invalid url"

Fake codes (rules.py)
  js_code  "fake:<openid>[:<unionid>[:<nonce>]]"  single use (40163), else 40029
  phone    "fakephone:<11 digits>"                        else 40029

Control endpoints, not WeChat (control.py)
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
from wx.fake.routes import create_fake_app
from wx.fake.server import FakeWechatServer

__all__ = ["FakeWechatServer", "create_fake_app"]
