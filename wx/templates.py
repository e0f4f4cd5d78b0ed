"""Subscribe-message templates (/admin/subscribe-templates): which WeChat template a purpose
(e.g. `points_expiring`) uses, the mini-program page it opens, and what fills each data key.

WeChat names each data key by its type and position (`thing1`, `number2`, `date3`); the type
decides what a value may look like (`thing` ≤ 20 characters, `number` digits, `date` a date).
`render` turns the values of one message into WeChat's `data`, cut and formatted to fit.

A mapping is checked when it is saved against the account's own templates, as WeChat lists
them (`wxaapi/newtmpl/gettemplate`): the template id must be one of them and the mapped keys
exactly its keys — what WeChat would otherwise refuse at every send (40037, 47003).
"""
import re
from datetime import date

from sqlalchemy import select

from core import audit, clock
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from core.patching import merge_patch
from wx import client as wx
from wx.models import SubscribeTemplate

#: purpose → the values a template for it can show (WeChat data key → one of these)
PURPOSES = {"points_expiring": ("points", "expiry_date", "tip", "balance"),
            #: a gift waiting for pickup whose deadline is near (mall.reminders)
            "pickup_reminder": ("product", "pickup_code", "deadline", "store", "tip"),
            #: an unused coupon about to expire (mall.reminders)
            "coupon_expiring": ("coupon", "expiry_date", "deduct", "tip"),
            #: a marketer's automation: a member entered a tag (analytics.tags.messages)
            "automation_message": ("title", "date", "tip")}

#: which WeChat value types can show which kind of value
TYPES_FOR = {
    "points": ("number", "thing", "character_string"),
    "balance": ("number", "thing", "character_string"),
    "expiry_date": ("date", "thing"),
    "tip": ("thing", "short_thing", "phrase"),
    "product": ("thing",),
    "coupon": ("thing",),
    "store": ("thing",),
    "pickup_code": ("character_string", "thing"),
    "deadline": ("date", "time", "thing"),
    "deduct": ("amount", "thing", "character_string"),
    "title": ("thing", "short_thing"),
    "date": ("date", "thing"),
}
KEY = re.compile(r"^([a-z_]+?)([0-9]+)$")
#: the most characters WeChat accepts per type
MAX_CHARS = {"thing": 20, "short_thing": 5, "phrase": 5, "character_string": 32, "number": 32,
             "letter": 32, "symbol": 5, "name": 10, "phone_number": 17, "car_number": 8}
#: what WeChat accepts of a type beyond its length (a value that does not match is refused)
SHAPES = {"number": re.compile(r"^\d+(\.\d+)?$"),
          "amount": re.compile(r"^[¥$€]?\d{1,10}(\.\d{1,2})?元?$"),
          "phrase": re.compile(r"^[\u4e00-\u9fff]+$"),
          "date": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$|^\d{4}-\d{2}-\d{2}$"),
          "character_string": re.compile(r"^[0-9A-Za-z_\-.:/#@]+$")}


TEMPLATE_FIELDS = ("purpose", "template_id", "page", "fields", "tip", "active")


def _snapshot(t: SubscribeTemplate) -> dict:
    return {f: getattr(t, f) for f in TEMPLATE_FIELDS}


def check_fields(purpose: str, fields: dict, tip: str | None) -> None:
    """422 naming each data key that WeChat would refuse or that this purpose cannot fill."""
    keys = {}
    for key, source in fields.items():
        m = KEY.match(key)
        if source not in PURPOSES[purpose]:
            keys[key] = [f"Must be one of {', '.join(PURPOSES[purpose])}."]
        elif not m or m.group(1) not in TYPES_FOR[source]:
            keys[key] = [f"A {source} needs a key of type {' or '.join(TYPES_FOR[source])}, "
                         f"e.g. {TYPES_FOR[source][0]}1."]
    details = {"fields": keys} if keys else {}
    if not fields:
        details["fields"] = ["Map at least one WeChat data key."]
    if "tip" in fields.values() and not (tip or "").strip():
        details["tip"] = ["A template that shows the tip needs the tip text."]
    if details:
        raise ValidationFailed(details=details)


def account_problems(template_id: str, fields: dict, account: dict) -> dict:
    """What a mapping asks of the WeChat account that it lacks, as 422 details ({} if none):
    the template itself, a mapped key the template does not have, a key of the template left
    unmapped (WeChat refuses a message without it). `account`: wx.client's account_templates."""
    template = account.get(template_id)
    if template is None:
        return {"template_id": [f"The WeChat account has no subscribe template {template_id} "
                                f"(it has: {', '.join(sorted(account)) or 'none'})."]}
    keys, problems = template["keys"], {}
    for key in fields:
        if key not in keys:
            problems[key] = [f"Template {template_id} has no key {key} (its keys: "
                             f"{', '.join(keys)})."]
    for key in keys:
        if key not in fields:
            problems[key] = [f"Template {template_id} needs {key}: WeChat refuses a message "
                             "without it."]
    return {"fields": problems} if problems else {}


def check_with_wechat(template_id: str, fields: dict) -> None:
    """422 unless the WeChat account has this template with exactly these keys (503 if WeChat
    cannot be asked)."""
    problems = account_problems(template_id, fields, wx.client().account_templates())
    if problems:
        raise ValidationFailed("The WeChat account's templates do not match this mapping.",
                               details=problems)


def create_template(data: dict, *, check_wechat: bool = True) -> SubscribeTemplate:
    """A new active template for its purpose (409 if the purpose already has one), checked
    against the WeChat account's templates (422). Audited."""
    check_fields(data["purpose"], data["fields"], data.get("tip"))
    if active_template(data["purpose"]) is not None:
        raise Conflict(f"{data['purpose']} already has an active template; deactivate or "
                       "change it instead.", code="invalid_state")
    if check_wechat:
        check_with_wechat(data["template_id"], data["fields"])
    now = clock.now()
    template = SubscribeTemplate(**data, active=True, active_purpose=data["purpose"],
                                 created_at=now, updated_at=now)
    db.session.add(template)
    db.session.flush()
    audit.record("subscribe_template.create", "subscribe_template", template.id,
                 after=_snapshot(template))
    return template


def get_template(template_pk: int) -> SubscribeTemplate:
    template = db.session.get(SubscribeTemplate, template_pk)
    if template is None:
        raise NotFound(f"No subscribe template {template_pk}.")
    return template


def list_templates(purpose: str | None = None) -> list[SubscribeTemplate]:
    stmt = select(SubscribeTemplate).order_by(SubscribeTemplate.id)
    if purpose:
        stmt = stmt.where(SubscribeTemplate.purpose == purpose)
    return list(db.session.scalars(stmt))


def update_template(template_pk: int, changes: dict) -> SubscribeTemplate:
    """Change what is sent (re-checked together; a new template id or keys, or reactivating,
    against the WeChat account too): `fields` merges key by key, a key sent as null is removed;
    `active` false frees the purpose. Audited."""
    template = get_template(template_pk)
    before = _snapshot(template)
    if "fields" in changes:
        changes = {**changes, "fields": merge_patch(template.fields, changes["fields"])}
    merged = {**before, **changes}
    check_fields(template.purpose, merged["fields"], merged.get("tip"))
    reactivated = merged["active"] and not template.active
    if reactivated and active_template(template.purpose):
        raise Conflict(f"{template.purpose} already has an active template.", code="invalid_state")
    if merged["active"] and (reactivated or {"template_id", "fields"} & set(changes)):
        check_with_wechat(merged["template_id"], merged["fields"])
    for name, value in changes.items():
        setattr(template, name, value)
    template.active_purpose = template.purpose if template.active else None
    template.updated_at = clock.now()
    db.session.flush()
    audit.record("subscribe_template.update", "subscribe_template", template.id, before=before,
                 after=_snapshot(template))
    return template


def active_template(purpose: str) -> SubscribeTemplate | None:
    return db.session.scalars(select(SubscribeTemplate)
                              .filter_by(active_purpose=purpose)).one_or_none()


def offered() -> list[SubscribeTemplate]:
    """The active templates: what the mini-program may ask members to subscribe to."""
    return list(db.session.scalars(select(SubscribeTemplate)
                                   .where(SubscribeTemplate.active_purpose.is_not(None))
                                   .order_by(SubscribeTemplate.purpose)))


def is_offered(template_id: str) -> bool:
    return db.session.scalar(select(SubscribeTemplate.id).where(
        SubscribeTemplate.template_id == template_id,
        SubscribeTemplate.active_purpose.is_not(None)).limit(1)) is not None


# --- rendering ------------------------------------------------------------------------------

def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def fit(key: str, value) -> str:
    """One value as WeChat accepts it for a key of this type (cut to the type's length)."""
    kind = KEY.match(key).group(1)
    if kind == "date" and isinstance(value, date):
        return chinese_date(value)
    if kind == "number":
        return str(int(value))
    text = chinese_date(value) if isinstance(value, date) else str(value)
    return text[:MAX_CHARS.get(kind, 20)]


def render(template: SubscribeTemplate, values: dict) -> dict:
    """WeChat's `data` for one message: {key: {"value": ...}} from the values by source name
    (`tip` comes from the template)."""
    values = {**values, "tip": template.tip}
    return {key: {"value": fit(key, values[source])} for key, source in template.fields.items()}


# --- previewing a mapping -------------------------------------------------------------------

#: what the console's preview fills each source with: realistic values, some longer than a
#: thing key holds, so the cut shows
SAMPLES = {"points": 1280, "balance": 3560, "pickup_code": "48392017",
           "product": "不锈钢真空保温杯（500毫升·限量版·礼盒装）", "store": "上海南京东路步行街旗舰店",
           "coupon": "满100减20元全场通用优惠券", "deduct": "20.00元"}


def sample_values(today: date) -> dict:
    return {**SAMPLES, "expiry_date": today, "deadline": today}


def preview(purpose: str, fields: dict, tip: str | None, today: date) -> list[dict]:
    """Each mapped key as WeChat would show it with sample values: {key, kind, source, raw,
    value (what is sent, cut to fit), limit (characters, or None), problems}. `problems`
    names what WeChat would refuse or what the member would not see whole."""
    values = {**sample_values(today), "tip": tip or ""}
    rows = []
    for key, source in fields.items():
        m = KEY.match(key)
        kind = m.group(1) if m else None
        row = {"key": key, "kind": kind, "source": source, "raw": None, "value": None,
               "limit": MAX_CHARS.get(kind), "problems": []}
        rows.append(row)
        if source not in PURPOSES.get(purpose, ()):
            row["problems"].append(("source", ", ".join(PURPOSES.get(purpose, ()))))
            continue
        if kind is None or kind not in TYPES_FOR[source]:
            row["problems"].append(("type", " / ".join(TYPES_FOR[source])))
            continue
        raw = values[source]
        row["raw"] = chinese_date(raw) if isinstance(raw, date) else str(raw)
        row["value"] = fit(key, raw)
        if row["limit"] and len(row["raw"]) > row["limit"]:
            row["problems"].append(("cut", len(row["raw"])))
        shape = SHAPES.get(kind)
        if shape and not shape.match(row["value"]):
            row["problems"].append(("shape", kind))
        if source == "tip" and not row["raw"].strip():
            row["problems"].append(("empty", None))
    return rows
