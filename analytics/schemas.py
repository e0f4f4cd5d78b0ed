"""Analytics in and out."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.fields import Date, Integer
from core.pagination import PageArgs, page_schema
from core.replica import FreshnessOut
from analytics import churn, segments
from points.earning.schemas import EarnRuleIn, PromotionIn

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="YYYY-MM")


class ScopeArgs(Schema):
    store_code = fields.String(load_default=None, metadata={"description": "default: the chain"})


class SegmentItem(Schema):
    code = fields.String()
    name = fields.String(metadata={"description": "Chinese name, e.g. 重要价值客户"})
    name_en = fields.String()
    members = fields.Integer()
    avg_spend_fen = fields.Integer(metadata={"description": "average spend in the RFM window"})
    points_balance = fields.Integer(
        metadata={"description": "the segment's members' balances, summed"})
    avg_points_balance = fields.Integer()


class SegmentsOut(Schema):
    store_code = fields.String(allow_none=True)
    as_of = fields.Date(allow_none=True, metadata={"description": "the scoring run's date"})
    items = fields.List(fields.Nested(SegmentItem))
    freshness = fields.Nested(FreshnessOut, metadata={
        "description": "where it was read (the reports replica when one is set) and how fresh"})


class MovementArgs(ScopeArgs):
    from_month = fields.String(required=True, validate=MONTH)
    to_month = fields.String(required=True, validate=MONTH)


class Move(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    members = fields.Integer()


class MonthCount(Schema):
    month = fields.String()
    segment = fields.String()
    members = fields.Integer()


class MovementOut(Schema):
    from_month = fields.String()
    to_month = fields.String()
    moves = fields.List(fields.Nested(Move))
    months = fields.List(fields.Nested(MonthCount))
    freshness = fields.Nested(FreshnessOut, metadata={
        "description": "where it was read (the reports replica when one is set) and how fresh"})


class MembersArgs(PageArgs, ScopeArgs):
    q = fields.String(load_default=None, metadata={"description": "member_no, phone or nickname"})
    segment = fields.String(load_default=None, validate=validate.OneOf(segments.CODES))
    churn = fields.String(load_default=None, validate=validate.OneOf(churn.STATUSES))
    tier = fields.String(load_default=None)
    tag = Integer(text=True, load_default=None, metadata={"description": "a tag's id"})


class Rfm(Schema):
    r = fields.Integer()
    f = fields.Integer()
    m = fields.Integer()


class MemberItem(Schema):
    member_no = fields.String()
    phone_masked = fields.String(allow_none=True)
    tier = fields.String(allow_none=True)
    balance = fields.Integer()
    segment = fields.String(allow_none=True)
    rfm = fields.Nested(Rfm, allow_none=True)
    churn_status = fields.String(allow_none=True)
    churn_reason = fields.String(allow_none=True)
    expected_next_visit = fields.Date(allow_none=True)
    last_order_at = fields.DateTime(allow_none=True)


MembersPage = page_schema(MemberItem, "AnalyticsMembersPage")


class LiabilityArgs(Schema):
    as_of = Date(load_default=None)


class StoreLiability(Schema):
    store_code = fields.String(allow_none=True, metadata={"description": "null: issued by HQ"})
    points = fields.Integer()
    value_fen = fields.Integer()


class MonthPoints(Schema):
    month = fields.String(metadata={"description": "YYYY-MM, or never"})
    points = fields.Integer()


class BreakageRate(Schema):
    min_age_days = fields.Integer()
    points = fields.Integer()
    expired_share = fields.Float()


class FunderLiability(Schema):
    funded_by = fields.String(allow_none=True, metadata={
        "description": "the store whose campaign pays for these points; null: HQ"})
    points = fields.Integer()
    value_fen = fields.Integer()


class LiabilityOut(Schema):
    as_of = fields.Date()
    points_outstanding = fields.Integer()
    value_fen = fields.Integer()
    point_value_fen = fields.Integer()
    by_store = fields.List(fields.Nested(StoreLiability))
    by_funder = fields.List(fields.Nested(FunderLiability))
    by_expiry_month = fields.List(fields.Nested(MonthPoints))
    expected_breakage_points = fields.Integer()
    expected_breakage_fen = fields.Integer()
    breakage_rates = fields.List(fields.Nested(BreakageRate))
    freshness = fields.Nested(FreshnessOut)


class PreviewIn(Schema):
    promotion = fields.Nested(PromotionIn, load_default=None)
    earn_rule = fields.Nested(EarnRuleIn, load_default=None)
    date_from = Date(load_default=None, data_key="from")
    date_to = Date(load_default=None, data_key="to")

    @validates_schema
    def one_draft(self, data, **_kw):
        if (data.get("promotion") is None) == (data.get("earn_rule") is None):
            raise ValidationError("Send a promotion or an earn_rule (one).", "promotion")
        if (data.get("date_from") is None) != (data.get("date_to") is None):
            raise ValidationError("Send both from and to, or neither (the last 28 days).", "from")
        if data.get("date_from") and data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before from.", "to")


class PreviewPart(Schema):
    orders = fields.Integer(metadata={"description": "orders the draft adds points to"})
    members = fields.Integer()
    extra_points = fields.Integer()
    extra_value_fen = fields.Integer()
    base_points = fields.Integer(metadata={"description": "what the orders earned without it"})


class StorePreview(PreviewPart):
    store_code = fields.String()


class SegmentPreview(PreviewPart):
    segment = fields.String()


class PreviewOut(PreviewPart):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    orders_replayed = fields.Integer()
    by_store = fields.List(fields.Nested(StorePreview))
    by_segment = fields.List(fields.Nested(SegmentPreview))
    freshness = fields.Nested(FreshnessOut, metadata={
        "description": "where it was read (the reports replica when one is set) and how fresh"})


class Thresholds(Schema):
    r = fields.List(Integer(validate=validate.Range(0, 100_000)), allow_none=True)
    f = fields.List(Integer(validate=validate.Range(0, 100_000)), allow_none=True)
    m = fields.List(Integer(validate=validate.Range(0, 10_000_000_00)), allow_none=True)


class RfmSettings(Schema):
    window_days = Integer(validate=validate.Range(1, 3660))
    new_member_days = Integer(validate=validate.Range(0, 3660))
    thresholds = fields.Nested(Thresholds)


class ChurnSettings(Schema):
    factor_percent = Integer(validate=validate.Range(100, 1000))
    lapsed_factor_percent = Integer(validate=validate.Range(100, 2000))
    min_orders = Integer(validate=validate.Range(2, 100))
    default_days = Integer(validate=validate.Range(1, 3660))
    lapsed_days = Integer(validate=validate.Range(1, 3660))


class AnalyticsSettings(Schema):
    rfm = fields.Nested(RfmSettings)
    churn = fields.Nested(ChurnSettings)
