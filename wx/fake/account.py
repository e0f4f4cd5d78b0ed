"""The WeChat account the fake pretends to be: its subscribe-message templates and the pages of
its released mini-program.

A template is what a marketer picked in the mini-program's admin console: an id, a title and
its keys, each key's type being its prefix (`thing1`, `number2`, `date3`). WeChat refuses a
send whose template is not the account's (40037) or whose data keys are not exactly the
template's (47003), and a `page` that is not in the released version (41030).
"""
from __future__ import annotations

import re

from wx.fake.rules import VALUE_RULES

#: what a fresh fake knows: the demo template of `make run` (points.reminders' demo data)
DEFAULT_TEMPLATES = {
    "demo-points-expiring": {
        "title": "积分过期提醒", "type": 2,
        "keys": {"thing1": "温馨提示", "number2": "即将过期积分", "date3": "过期日期",
                 "number4": "积分余额"}},
    "demo-pickup-reminder": {  # the mall's demo data
        "title": "礼品领取提醒", "type": 2,
        "keys": {"thing1": "礼品名称", "character_string2": "领取码", "date3": "领取截止",
                 "thing4": "领取门店"}},
    "demo-coupon-expiring": {
        "title": "优惠券到期提醒", "type": 2,
        "keys": {"thing1": "优惠券", "date2": "到期日期", "amount3": "优惠金额",
                 "thing4": "温馨提示"}},
}
#: the released version's pages (the app's invite page and the reminders' page among them)
DEFAULT_PAGES = ("pages/index/index", "pages/points/index", "pages/invite/index",
                 "pages/visit/index")

KEY = re.compile(r"([a-z_]+?)([0-9]+)")
ONE_TIME, LONG_TERM = 2, 3
EXAMPLES = {"thing": "示例文字", "number": "100", "date": "2026年12月31日", "time": "15:01",
            "amount": "99.00元", "phrase": "已到账", "character_string": "A-001", "name": "张三",
            "short_thing": "示例", "letter": "A", "symbol": "+", "phone_number": "13800138000",
            "car_number": "粤A12345"}


def default_templates() -> dict:
    return {tid: {**t, "keys": dict(t["keys"])} for tid, t in DEFAULT_TEMPLATES.items()}


def template_record(body) -> dict | str:
    """A template from PUT /_fake/templates/<id> ({title, keys, type}), or an error string.
    `keys` is {key: name} or a list of keys (each named after itself)."""
    keys = (body or {}).get("keys")
    if isinstance(keys, list):
        keys = {k: k for k in keys}
    if not isinstance(keys, dict) or not keys:
        return "keys required: {key: name} or [key, ...]"
    for key in keys:
        m = KEY.fullmatch(str(key))
        if not m or m.group(1) not in VALUE_RULES:
            return f"{key} is not a WeChat key (type + number, e.g. thing1)"
    kind = int(body.get("type") or ONE_TIME)
    if kind not in (ONE_TIME, LONG_TERM):
        return "type is 2 (one-time) or 3 (long-term)"
    return {"title": str(body.get("title") or "模板"), "type": kind,
            "keys": {str(k): str(v) for k, v in keys.items()}}


def listed(template_id: str, template: dict) -> dict:
    """The template as wxaapi/newtmpl/gettemplate lists it (keys only inside `content`)."""
    lines = [(name, key) for key, name in template["keys"].items()]
    return {"priTmplId": template_id, "title": template["title"], "type": template["type"],
            "content": "".join(f"{name}:{{{{{key}.DATA}}}}\n" for name, key in lines),
            "example": "".join(f"{name}:{EXAMPLES.get(KEY.fullmatch(key).group(1), '示例')}\n"
                               for name, key in lines)}


def key_set_error(template: dict, data) -> str | None:
    """47003's errmsg when `data` lacks one of the template's keys or has one it does not."""
    if not isinstance(data, dict) or not data:
        return "argument invalid! data is empty"
    for key in template["keys"]:
        if key not in data:
            return f"argument invalid! data.{key}.value is empty"
    for key in data:
        if key not in template["keys"]:
            return f"argument invalid! data.{key} is not a key of the template"
    return None


def released(pages, page: str) -> bool:
    """Whether `page` (its path; a send's page may carry ?query) is in the released version."""
    return page.split("?", 1)[0] in pages
