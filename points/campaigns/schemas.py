from decimal import Decimal

from marshmallow import Schema, fields, post_load, pre_dump, validate

from core.fields import ExactDecimal, Integer

BUDGET = Integer(validate=validate.Range(0, 100_000_000))


class PolicyFields(Schema):
    max_multiplier = ExactDecimal(places=2, validate=validate.Range(Decimal("1"), Decimal("10")),
                                  metadata={"description": "the highest multiplier a store campaign may give, e.g. 2"})
    max_bonus_points = Integer(validate=validate.Range(0, 1_000_000),
                               metadata={"description": "the most bonus points a store campaign may give an order"})
    store_products_allowed = fields.Boolean()
    approval_required = fields.Boolean(metadata={"description": "whether HQ approves a store's campaign before it goes live"})
    monthly_budget_points = Integer(validate=validate.Range(0, 100_000_000), metadata={
        "description": "the points a store's campaigns may give in a business month"})
    visit_points = Integer(validate=validate.Range(0, 100_000), metadata={
        "description": "what a visit (到店打卡) earns, from the store's budget; 0 = no visits"})

    @post_load
    def to_percent(self, data, **_kw):
        if "max_multiplier" in data:
            data["max_multiplier_percent"] = int(data.pop("max_multiplier") * 100)
        return data


class StorePolicyIn(PolicyFields):
    overrides = fields.Dict(keys=fields.String(validate=validate.Length(1, 32)),
                            values=fields.Nested(PolicyFields(partial=True)), metadata={
        "description": "per store code, the fields that differ from the default; {} removes a store's overrides"})


class PolicyOut(Schema):
    max_multiplier = fields.Float()
    max_bonus_points = fields.Integer()
    store_products_allowed = fields.Boolean()
    approval_required = fields.Boolean()
    monthly_budget_points = fields.Integer()
    visit_points = fields.Integer()

    @pre_dump
    def from_percent(self, data, **_kw):
        data = dict(data)
        if "max_multiplier_percent" in data:
            data["max_multiplier"] = data.pop("max_multiplier_percent") / 100
        return data


class StorePolicyOut(PolicyOut):
    overrides = fields.Dict(keys=fields.String(), values=fields.Nested(PolicyOut))


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 255))


class BudgetOut(Schema):
    store_code = fields.String()
    month = fields.String()
    budget_points = fields.Integer()
    spent_points = fields.Integer()


class VisitIn(Schema):
    scene = fields.String(required=True, validate=validate.Length(1, 32), metadata={
        "description": "the `scene` of the store's mini-program code the member scanned"})


class StaffVisitIn(Schema):
    store_code = fields.String(required=True, validate=validate.Length(1, 32))
    member_code = fields.String(required=True, validate=validate.Length(1, 64))


class VisitOut(Schema):
    store_code = fields.Function(lambda v: v.store_code)
    day = fields.Date()
    points = fields.Integer()
    balance = fields.Function(lambda v: v.balance)
