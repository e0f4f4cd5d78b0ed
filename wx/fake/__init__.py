"""Fake of the WeChat server API, over real HTTP, for development and tests: as strict as
WeChat, so that what passes against it does not fail on launch day.

Run it:   python -m wx.fake --port 8800 [--host 127.0.0.1] [--app APPID=SECRET ...]
          (python -m wx.fake_server ... still works; --help prints this text)
Embed it: with FakeWechatServer() as wx: requests.get(wx.url + "/cgi-bin/token", ...)

All state lives in the Flask app built by ``create_fake_app(appid_secrets=None)``;
``appid_secrets`` (appid -> secret) restricts which credentials are accepted,
otherwise any non-empty appid/secret is.  Responses are WeChat-shaped JSON
(``application/json; charset=utf-8``, non-ASCII kept as is) and HTTP 200 even on
errors, as WeChat does.  Request bodies are parsed as JSON whatever the
Content-Type (wechatpy sends none).  The fake's clock is the real one plus what
POST /_fake/clock added (token lifetimes, phone codes and quotas follow it).

WeChat endpoints (routes.py, messages.py)
  GET  /cgi-bin/token?grant_type=client_credential&appid=&secret=
  POST /cgi-bin/stable_token        {grant_type, appid, secret, force_refresh}
       normal mode: the same token with the seconds it has left; in its last 5 minutes a
       new one (the old one still works until it expires).  force_refresh: a new token and
       the old one dies; within 30 s of the last force_refresh the current token comes back
       unchanged; the 21st of a (Beijing) day -> 45009
  GET  /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code
  POST /wxa/business/getuserphonenumber?access_token=   {code, openid?}
       phone_info {phoneNumber, purePhoneNumber, countryCode, watermark}; phoneNumber has
       "+<country code>" for a number outside mainland China
  POST /wxa/getwxacodeunlimit?access_token=   {scene, page, check_path=true, env_version}
       -> JPEG bytes, Content-Type image/jpeg (a QR code of "<env_version>:<page>?scene=
       <scene>"); errors as JSON.  check_path true (WeChat's default) needs a released page
       (41030); check_path must be a JSON boolean (47001)
  GET  /wxaapi/newtmpl/gettemplate?access_token=
       the account's templates: {priTmplId, title, content "名称:{{thing1.DATA}}\\n...",
       example, type: 2 one-time | 3 long-term}
  POST /cgi-bin/message/subscribe/send?access_token=   {touser, template_id, page, data, ...}
       40037 unless template_id is one of the account's; 47003 when data lacks one of the
       template's keys, has one it does not, or a value its type refuses (errmsg names the
       key: "argument invalid! data.<key>.value ..."); 41030 when a formal message's page
       (before any ?query) is not a released page; 43101 when the user refused
  anything else -> 40066 "invalid url"

Fake codes (rules.py)
  js_code  "fake:<openid>[:<unionid>[:<nonce>]]"  single use (40163), else 40029;
           a blocked openid (POST /_fake/block) -> 40226
  phone    "fakephone:<11 digits>[:<nonce>]"                a mainland number (+86)
           "fakephone:+<country code>:<number>[:<nonce>]"   e.g. fakephone:+44:7700900123
           single use (40029 after); else 40029.  POST /_fake/phone-codes issues one that
           also expires 5 minutes after issue and, when the request names an openid, works
           only for the openid it was issued to (40029)

The account (a fresh or reset fake has the demo template and pages of `make run`)
  templates  demo-points-expiring: thing1 温馨提示, number2 即将过期积分, date3 过期日期,
             number4 积分余额
  pages      pages/index/index, pages/points/index, pages/invite/index, pages/visit/index

Control endpoints, not WeChat (control.py)
  POST   /_fake/fail          {path, errcode|status|delay_ms, errmsg?, times=1}
  DELETE /_fake/fail          drop all pending failures
  POST   /_fake/refuse        {touser, template_id?} -> sends answer 43101
  DELETE /_fake/refuse        {touser?, template_id?} (empty body: clear all)
  POST   /_fake/expire-token  {errcode?: 40001|40014|42001} the tokens issued so far answer
                              that code (40001: forgotten; 40014: invalid; 42001: expired)
  GET    /_fake/templates                     the account's templates
  PUT    /_fake/templates/<template_id>       {title?, keys: {key: name} | [key...], type?}
  DELETE /_fake/templates/<template_id>
  GET|PUT /_fake/pages        {pages: [...]} the released version's pages ([]: none)
  POST   /_fake/phone-codes   {phone, country_code="86", openid?} -> {code}
  GET|POST /_fake/clock       {advance: seconds} moves the fake's clock forward
  PUT    /_fake/ip-whitelist  {ips: [...]} every WeChat call from another address -> 40164
                              "invalid ip <ip> ipv6 ::ffff:<ip>, not in whitelist"
  DELETE /_fake/ip-whitelist  any address again (the default)
  POST   /_fake/block         {openid} its logins -> 40226;  DELETE {openid?} unblocks
  POST   /_fake/quota         {path, daily?, per_minute?} calls past them -> 45009 / 45011
  DELETE /_fake/quota         no quotas
  GET|DELETE /_fake/messages  accepted subscribe messages, in order
  GET|DELETE /_fake/calls     {path: count} of every WeChat call, failures included
  POST   /_fake/reset         forget everything (templates and pages back to the defaults)

Errcodes used: -1 40001 40002 40003 40013 40014 40029 40037 40066 40097 40125 40163
40164 40169 40226 41001 41002 41004 41008 41030 42001 43001 43002 43101 45009 45011
47001 47003.
"""
from wx.fake.routes import create_fake_app
from wx.fake.server import FakeWechatServer

__all__ = ["FakeWechatServer", "create_fake_app"]
