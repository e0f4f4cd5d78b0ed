"""Tags and automations in and out."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.fields import INT_MAX, Integer
from analytics.tags.models import MANUAL, RULE

RULE_DOC = ("{\"all\"|\"any\": [condition | group]}; a condition is {field, op, value} — see "
            "the tag rules in the API docs: segment/churn/tier/registration_store/home_store/"
            "favourite_category in [..]; balance/spend_fen/orders/checkin_streak/referrals/"
            "expiring_points (with days) gte/lte N; coupon_unused_days gte N; "
            "last_order/registered before/after a date")


class TagIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    kind = fields.String(required=True, validate=validate.OneOf((RULE, MANUAL)))
    rule = fields.Dict(load_default=None, metadata={"description": RULE_DOC})


class TagPatch(Schema):
    name = fields.String(validate=validate.Length(1, 64))
    rule = fields.Dict(metadata={"description": RULE_DOC})
    active = fields.Boolean()


class TagOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    rule = fields.Dict(allow_none=True)
    active = fields.Boolean()
    evaluated_at = fields.DateTime(allow_none=True)


class RuleIn(Schema):
    rule = fields.Dict(required=True, metadata={"description": RULE_DOC})


class CountOut(Schema):
    members = fields.Integer(metadata={"description": "members the rule matches now"})


class MemberNosIn(Schema):
    member_nos = fields.List(fields.String(validate=validate.Length(1, 20)), required=True,
                             validate=validate.Length(1, 1000))


class AddedOut(Schema):
    added = fields.Integer()


class TagChangeOut(Schema):
    member_id = fields.Integer()
    change = fields.String(metadata={"description": "entered, left"})
    changed_on = fields.Date()
    by = fields.String(metadata={"description": "rule, or staff:<id>"})


class TagChanges(Schema):
    items = fields.List(fields.Nested(TagChangeOut))


class AutomationPatch(Schema):
    name = fields.String(validate=validate.Length(1, 64))
    points = Integer(validate=validate.Range(1, 1_000_000))
    product_id = Integer(metadata={"description": "coupon: the mall coupon product to issue"})
    template_id = fields.String(validate=validate.Length(1, 64), metadata={
        "description": "message: the WeChat subscribe template (an active template of purpose "
                       "automation_message)"})
    budget = Integer(validate=validate.Range(0, INT_MAX),
                     metadata={"description": "points: the total it may credit; coupon: the "
                                              "coupons it may issue; message: the messages it "
                                              "may send"})
    holdout_percent = Integer(validate=validate.Range(0, 50))
    status = fields.String(validate=validate.OneOf(("active", "paused")))


class AutomationIn(AutomationPatch):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    tag_id = Integer(required=True)
    action = fields.String(required=True,
                           validate=validate.OneOf(("points", "coupon", "message")),
                           metadata={"description": "points, coupon, message"})
    budget = Integer(required=True, validate=validate.Range(0, INT_MAX))

    @validates_schema
    def points_given(self, data, **_kw):
        if data.get("action") == "points" and not data.get("points"):
            raise ValidationError("Points to credit are required.", "points")
        if data.get("action") == "coupon" and not data.get("product_id"):
            raise ValidationError("The coupon product is required.", "product_id")
        if data.get("action") == "message" and not data.get("template_id"):
            raise ValidationError("The subscribe template is required.", "template_id")


class AutomationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    tag_id = fields.Integer()
    action = fields.String()
    points = fields.Integer(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    template_id = fields.String(allow_none=True)
    budget = fields.Integer()
    spent = fields.Integer()
    holdout_percent = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()


class Arm(Schema):
    members = fields.Integer()
    reordered_7d_pct = fields.Float(allow_none=True)
    reordered_30d_pct = fields.Float(allow_none=True)
    spend_per_member_fen = fields.Integer(allow_none=True)


class Lift(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "percentage points"})
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)


class Comparison(Schema):
    treated = fields.Nested(Arm)
    holdout = fields.Nested(Arm)
    lift = fields.Nested(Lift)


class SegmentComparison(Comparison):
    segment = fields.String()


class ResultsOut(Comparison):
    automation_id = fields.Integer()
    budget = fields.Integer()
    spent = fields.Integer()
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "actions by outcome: done, holdout, over_budget; messages: sending, "
                       "sent, refused, failed, no_consent"})
    by_segment = fields.List(fields.Nested(SegmentComparison))
