from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from core.fields import AwareDateTime, Date, ExactDecimal, Integer
from core.replica import FreshnessOut

#: an order's amount in fen, up to 10,000,000.00 yuan (the INT column holds 21,474,836.47)
MAX_FEN = validate.Range(min=1, max=10_000_000_00)
MULTIPLIER = dict(places=2, validate=validate.Range(Decimal("1"), Decimal("10")),
                  metadata={"description": "e.g. 2 for double points"})


class MemberRef(Schema):
    """Exactly one of member_code (scanned), member_no, or phone (POS only)."""

    member_code = fields.String(validate=validate.Length(1, 64))
    member_no = fields.String(validate=validate.Length(1, 20))


class OrderItem(Schema):
    sku = fields.String(validate=validate.Length(1, 64))
    category = fields.String(validate=validate.Length(1, 32), allow_none=True)
    amount_fen = Integer(required=True, validate=validate.Range(0, MAX_FEN.max),
                                metadata={"description": "the line's total (all units)"})
    quantity = Integer(load_default=1, validate=validate.Range(1, 100_000))


class OrderIn(MemberRef):
    store_code = fields.String(required=True, validate=validate.Length(1, 32))
    order_no = fields.String(required=True, validate=validate.Length(1, 64))
    amount_fen = Integer(required=True, validate=MAX_FEN)
    items = fields.List(fields.Nested(OrderItem), validate=validate.Length(max=200))
    paid_at = AwareDateTime(metadata={"description": "default: when we receive it"})


class PosOrderIn(OrderIn):
    phone = fields.String(validate=validate.Regexp(r"^1[0-9]{10}$"), metadata={
        "description": "an unknown phone registers the customer at this store"})


class BreakdownPart(Schema):
    kind = fields.String(metadata={"description": "base | multiplier | bonus"})
    source = fields.String()
    label = fields.String()
    percent = fields.Integer()
    points = fields.Integer()
    funded_by = fields.String(metadata={
        "description": "the code of the store whose campaign pays for these points; absent: HQ"})


class OrderOut(Schema):
    order_no = fields.String()
    member_no = fields.String()
    points_earned = fields.Integer()
    balance = fields.Integer()
    breakdown = fields.List(fields.Nested(BreakdownPart))


class RefundIn(Schema):
    store_code = fields.String(required=True, validate=validate.Length(1, 32))
    refund_no = fields.String(required=True, validate=validate.Length(1, 64))
    amount_fen = Integer(required=True, validate=MAX_FEN)


class RefundOut(Schema):
    refund_no = fields.String()
    points_reversed = fields.Integer()
    deduction_points_returned = fields.Integer()
    balance = fields.Integer(attribute="balance_after")


class QuoteIn(MemberRef):
    store_code = fields.String(required=True, validate=validate.Length(1, 32))
    amount_fen = Integer(required=True, validate=MAX_FEN)


class QuoteOut(Schema):
    member_no = fields.String()
    balance = fields.Integer()
    max_points = fields.Integer()
    max_deduct_fen = fields.Integer()
    points_per_yuan = fields.Integer()


class DeductionIn(QuoteIn):
    order_no = fields.String(required=True, validate=validate.Length(1, 64))
    points = Integer(required=True, validate=validate.Range(1, 1_000_000_000))


class DeductionOut(Schema):
    order_no = fields.String()
    points = fields.Integer()
    deduct_fen = fields.Integer()
    balance = fields.Integer(attribute="balance_after")


def _percent(data):
    if "multiplier" in data:
        data["multiplier_percent"] = int(data.pop("multiplier") * 100)
    return data


class EarnRuleIn(Schema):
    category = fields.String(required=True, validate=validate.Length(1, 32))
    multiplier = ExactDecimal(required=True, **MULTIPLIER)
    store_codes = fields.List(fields.String(), load_default=list)

    @post_load
    def to_percent(self, data, **_kw):
        return _percent(data)


class EarnRulePatch(Schema):
    category = fields.String(validate=validate.Length(1, 32))
    multiplier = ExactDecimal(**MULTIPLIER)
    store_codes = fields.List(fields.String())
    active = fields.Boolean()

    @post_load
    def to_percent(self, data, **_kw):
        return _percent(data)


class EarnRuleOut(Schema):
    id = fields.Integer()
    category = fields.String()
    multiplier = fields.Function(lambda r: r.multiplier_percent / 100)
    store_codes = fields.List(fields.String())
    active = fields.Boolean()


class PromotionPatch(Schema):
    name = fields.String(validate=validate.Length(1, 64))
    multiplier = ExactDecimal(**MULTIPLIER)
    bonus_points = Integer(validate=validate.Range(1, 1_000_000))
    store_codes = fields.List(fields.String())
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    weekdays = fields.List(Integer(validate=validate.Range(1, 7)),
                           metadata={"description": "ISO weekdays, 1 = Monday"})
    categories = fields.List(fields.String())
    min_amount_fen = Integer(validate=validate.Range(0, MAX_FEN.max))
    active = fields.Boolean()

    @post_load
    def to_percent(self, data, **_kw):
        return _percent(data)


class PromotionIn(PromotionPatch):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)

    @validates_schema
    def one_kind(self, data, **_kw):
        if ("multiplier" in data) == ("bonus_points" in data):
            raise ValidationError("Give a multiplier or bonus_points (not both).", "multiplier")
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")


class PromotionOut(Schema):
    id = fields.Integer()
    name = fields.String()
    multiplier = fields.Function(lambda p: p.multiplier_percent / 100 if p.multiplier_percent else None)
    bonus_points = fields.Integer(allow_none=True)
    store_codes = fields.List(fields.String())
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    weekdays = fields.List(fields.Integer())
    categories = fields.List(fields.String())
    min_amount_fen = fields.Integer()
    active = fields.Boolean()
    status = fields.String(metadata={"description": "draft | pending | approved | rejected; "
                                                    "HQ's promotions are approved"})
    funded_by = fields.Function(lambda p: p.store_codes[0] if p.store_id else None,
                                metadata={"description": "the store paying for a store's "
                                                         "campaign; null: HQ"})
    review_reason = fields.String(allow_none=True,
                                  metadata={"description": "why HQ rejected it"})


class SettlementArgs(Schema):
    date_from = Date(required=True, data_key="from")
    date_to = Date(required=True, data_key="to")

    @validates_schema
    def ordered(self, data, **_kw):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before from.", "to")


class SettlementPair(Schema):
    issuing_store = fields.String(allow_none=True)
    funded_by = fields.String(allow_none=True, metadata={
        "description": "the store whose campaign funded the points; null: HQ"})
    spending_store = fields.String(allow_none=True)
    points = fields.Integer()
    value_fen = fields.Integer()


class FunderOwes(Schema):
    payer = fields.String(allow_none=True, metadata={"description": "the funder; null: HQ"})
    payee = fields.String(allow_none=True, metadata={
        "description": "the store that honoured the points; null: HQ (spent online)"})
    points = fields.Integer()
    value_fen = fields.Integer()


class StoreNet(Schema):
    store = fields.String()
    receives_fen = fields.Integer(metadata={"description": "negative: the store owes"})


class SettlementOut(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    point_value_fen = fields.Integer()
    pairs = fields.List(fields.Nested(SettlementPair))
    owed = fields.List(fields.Nested(StoreNet), metadata={
        "description": "by issuer: the issuing store pays for its points"})
    owed_by_funder = fields.List(fields.Nested(FunderOwes), metadata={
        "description": "by funder: what the funder of points spent at another store owes it"})
    freshness = fields.Nested(FreshnessOut)


class MyOrderItem(Schema):
    sku = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    amount_fen = fields.Integer()
    quantity = fields.Integer()


class MyRefundOut(Schema):
    refund_no = fields.String()
    amount_fen = fields.Integer()
    points_reversed = fields.Integer()
    created_at = fields.DateTime()


class MyOrderOut(Schema):
    id = fields.Integer()
    store = fields.Function(lambda o: {"code": o.store.code, "name": o.store.name}
                            if o.store else None)
    order_no = fields.String()
    amount_fen = fields.Integer()
    items = fields.List(fields.Nested(MyOrderItem))
    points_earned = fields.Integer()
    refunded_fen = fields.Integer()
    points_reversed = fields.Integer()
    refunds = fields.List(fields.Nested(MyRefundOut))
    paid_at = fields.DateTime()
