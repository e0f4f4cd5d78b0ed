from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.fields import Date, Integer
from core.replica import FreshnessOut

MAX_DAYS = 366


class DashboardArgs(Schema):
    date_from = Date(required=True, data_key="from")
    date_to = Date(required=True, data_key="to")
    store_code = fields.String(load_default=None, validate=validate.Length(1, 32))

    @validates_schema
    def ordered(self, data, **_kw):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before from.", "to")
        if (data["date_to"] - data["date_from"]).days >= MAX_DAYS:
            raise ValidationError(f"At most {MAX_DAYS} days at a time.", "to")


class Counts(Schema):
    """What adds up over days and stores."""
    points_issued = fields.Integer()
    points_spent = fields.Integer()
    points_expired = fields.Integer()
    members_registered = fields.Integer()
    orders = fields.Integer(metadata={"description": "orders with a member"})
    orders_fen = fields.Integer()
    checkins = fields.Integer()
    referrals = fields.Integer()
    redemptions = fields.Integer()


class DayFigures(Counts):
    date = fields.Date()
    members_active = fields.Integer(metadata={"description": "distinct members who earned or "
                                                             "spent that day"})
    pos_orders = fields.Integer(allow_none=True, metadata={
        "description": "all orders the POS counted (POST /pos/day-totals); null: not reported"})


class Totals(Counts):
    members_active_avg = fields.Integer()
    members_active_peak = fields.Integer()
    pos_orders = fields.Integer(allow_none=True)
    member_order_share = fields.Decimal(as_string=True, places=4, allow_none=True, metadata={
        "description": "orders with a member / all the POS counted, on the days it reported"})


class ProductFigures(Schema):
    title = fields.String()
    quantity = fields.Integer()
    points = fields.Integer()


class DashboardOut(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    days = fields.List(fields.Nested(DayFigures))
    totals = fields.Nested(Totals)
    products = fields.List(fields.Nested(ProductFigures))
    missing_days = fields.List(fields.Date(), metadata={
        "description": "days not rolled up yet (shown as zero)"})
    live_today = fields.Boolean()
    freshness = fields.Nested(FreshnessOut, metadata={
        "description": "where the figures were read (the reports replica when one is set) and "
                       "how far behind the primary they are"})


class DayTotalIn(Schema):
    store_code = fields.String(required=True, validate=validate.Length(1, 32))
    date = Date(required=True, metadata={"description": "the business day counted"})
    orders = Integer(required=True, validate=validate.Range(0, 10_000_000))
    amount_fen = Integer(required=True, validate=validate.Range(0, 2**31 - 1))


class DayTotalOut(Schema):
    store_code = fields.String()
    date = fields.Date()
    orders = fields.Integer()
    amount_fen = fields.Integer()
