from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from core.fields import AwareDateTime, Integer
from core.pagination import PageArgs
from tasks.models import ACTIONS, KINDS

POINTS = validate.Range(min=0, max=1_000_000)
CONFIG_FIELDS = {"checkin": ("schedule", "makeup"),
                 "referral": ("inviter_points", "invitee_points", "trigger", "monthly_cap"),
                 "one_off": ("reward_points", "action")}
DEFAULT_TITLES = {"checkin": "每日签到", "referral": "邀请好友"}


class Makeup(Schema):
    enabled = fields.Boolean(load_default=False)
    cost_points = Integer(load_default=0, validate=POINTS)
    per_month = Integer(load_default=0, validate=validate.Range(0, 31))


class TaskFields(Schema):
    title = fields.String(validate=validate.Length(1, 64))
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    starts_at = AwareDateTime(allow_none=True)
    ends_at = AwareDateTime(allow_none=True)
    budget_points = Integer(allow_none=True, validate=validate.Range(1, 1_000_000_000))
    member_limit_points = Integer(
        allow_none=True, validate=validate.Range(1, 1_000_000_000),
        metadata={"description": "the most points one member may receive from this task"})
    active = fields.Boolean()
    schedule = fields.List(Integer(validate=validate.Range(min=1, max=1_000_000)),
                           validate=validate.Length(1, 31),
                           metadata={"description": "points for streak day 1..N; the last repeats"})
    makeup = fields.Nested(Makeup, metadata={"description": "补签 of yesterday"})
    inviter_points = Integer(validate=POINTS)
    invitee_points = Integer(validate=POINTS)
    trigger = fields.String(validate=validate.OneOf(("register", "first_order")))
    monthly_cap = Integer(allow_none=True, validate=validate.Range(1, 100_000))
    reward_points = Integer(validate=validate.Range(min=1, max=1_000_000))
    action = fields.String(validate=validate.OneOf(ACTIONS))

    @validates_schema
    def window(self, data, **_kw):
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")

    @post_load
    def to_config(self, data, **_kw):
        config = {k: data.pop(k) for k in [k for f in CONFIG_FIELDS.values() for k in f]
                  if k in data}
        if config:
            data["config"] = config
        return data


class TaskIn(TaskFields):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))

    @validates_schema
    def required_for_kind(self, data, **_kw):
        needed = {"checkin": ("schedule",), "referral": ("inviter_points", "invitee_points", "trigger"),
                  "one_off": ("title", "reward_points", "action")}[data["kind"]]
        missing = {f: ["Required for this kind."] for f in needed if f not in data}
        if missing:
            raise ValidationError(missing)

    @post_load
    def defaults(self, data, **_kw):
        data.setdefault("title", DEFAULT_TITLES.get(data["kind"], data.get("title")))
        return data


class TaskOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    starts_at = fields.DateTime(allow_none=True)
    ends_at = fields.DateTime(allow_none=True)
    budget_points = fields.Integer(allow_none=True)
    member_limit_points = fields.Integer(allow_none=True)
    spent_points = fields.Integer()
    active = fields.Boolean()
    config = fields.Dict(metadata={"description": "the kind's settings (schedule, rewards, …)"})


class MyTask(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    reward_points = fields.Integer()
    action = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "todo | claimable | claimed | done | active | ended"})
    ends_at = fields.DateTime(allow_none=True)


class MyTasks(Schema):
    items = fields.List(fields.Nested(MyTask))


class ClaimOut(Schema):
    task_id = fields.Integer()
    points = fields.Integer()


class CheckinOut(Schema):
    date = fields.Date(attribute="day")
    streak = fields.Integer()
    points = fields.Integer()
    made_up = fields.Boolean()


class CheckinArgs(Schema):
    month = fields.String(validate=validate.Regexp(r"^2\d{3}-(0[1-9]|1[0-2])$"),
                          metadata={"description": "YYYY-MM (2000-01 to 2999-12); default this month"})


class CheckinIn(Schema):
    makeup = fields.Boolean(load_default=False, metadata={"description": "make up yesterday"})


class CalendarDay(Schema):
    date = fields.Date()
    points = fields.Integer()
    made_up = fields.Boolean()


class MakeupState(Schema):
    enabled = fields.Boolean()
    cost_points = fields.Integer()
    left_this_month = fields.Integer(metadata={
        "description": "make-ups left for days of the calendar's month (a make-up counts "
                       "against the month of the day it fills)"})
    date = fields.Date(metadata={"description": "the day a make-up now would fill (yesterday)"})
    available = fields.Boolean(metadata={
        "description": "whether that day can be made up now: not checked in, today not yet "
                       "checked in, and its month has make-ups left"})


class CalendarOut(Schema):
    month = fields.String()
    days = fields.List(fields.Nested(CalendarDay))
    streak = fields.Integer()
    checked_in_today = fields.Boolean()
    schedule = fields.List(fields.Integer())
    next_points = fields.Integer(allow_none=True)
    makeup = fields.Nested(MakeupState)
    active = fields.Boolean()


class Invited(Schema):
    member_no_masked = fields.String()
    joined_at = fields.DateTime()
    rewarded = fields.Boolean()
    status = fields.String()


class ReferralRules(Schema):
    inviter_points = fields.Integer()
    invitee_points = fields.Integer()
    trigger = fields.String(metadata={"description": "register | first_order: when both are paid"})
    monthly_cap = fields.Integer(allow_none=True, metadata={
        "description": "referrals paid to an inviter per month (null: no cap)"})
    ends_at = fields.DateTime(allow_none=True)


class InvitesOut(Schema):
    invite_code = fields.String()
    invited = fields.List(fields.Nested(Invited))
    next_cursor = fields.String(allow_none=True)
    rules = fields.Nested(ReferralRules, allow_none=True, metadata={
        "description": "the running referral task's rewards (null: none is running)"})


class InvitesArgs(PageArgs):
    pass
