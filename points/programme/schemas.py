"""The programme's settings and tiers, in and out."""
from decimal import Decimal

from marshmallow import Schema, fields, validate

from core.fields import ExactDecimal, Integer
from core.pagination import page_schema
from media.fields import ImageUrl
from points.programme import tier_history

EXPIRY_MODES = ("never", "fixed_days", "year_end", "rolling_days")
THRESHOLD = validate.Range(0, 1_000_000_000)


class EarnSettings(Schema):
    points_per_yuan = Integer(validate=validate.Range(0, 1000))


class ExpirySettings(Schema):
    mode = fields.String(validate=validate.OneOf(EXPIRY_MODES))
    days = Integer(validate=validate.Range(1, 3650), metadata={
        "description": "fixed_days, rolling_days: N days after earning (or the latest "
                       "activity), to the end of that business day; year_end only while years "
                       "is null (settings stored before years): the end of the calendar year in "
                       "which earning + N days falls"})
    years = Integer(allow_none=True, validate=validate.Range(0, 10), metadata={
        "description": "year_end: points expire at the end of the calendar year this many "
                       "years after the year they were earned (1: earned any day of 2028 → "
                       "2029-12-31 23:59:59 business time; 0: the end of the year earned)"})
    birthday_extension_days = Integer(validate=validate.Range(0, 366))


class DeductionSettings(Schema):
    points_per_yuan = Integer(validate=validate.Range(1, 100000))
    max_ratio_percent = Integer(validate=validate.Range(0, 100))


class ReminderSettings(Schema):
    days_before = Integer(validate=validate.Range(1, 60))
    hour = Integer(validate=validate.Range(0, 23))


class SettingsSchema(Schema):
    """Every section is optional on PUT: a PUT changes only the sections (and fields) it sends."""

    earn = fields.Nested(EarnSettings)
    expiry = fields.Nested(ExpirySettings)
    deduction = fields.Nested(DeductionSettings)
    registration_bonus = Integer(validate=validate.Range(0, 1_000_000))
    first_order_bonus = Integer(validate=validate.Range(0, 1_000_000))
    point_value_fen = Integer(validate=validate.Range(0, 10_000),
                                     metadata={"description": "what one point costs the store "
                                                              "that issued it, in fen"})
    reminders = fields.Nested(ReminderSettings)


class TierRef(Schema):
    code = fields.String()
    name = fields.String()


class TierShown(Schema):
    """What the tiers page shows of a tier besides its rules."""

    benefits = fields.String(allow_none=True, validate=validate.Length(max=2000),
                             metadata={"description": "one benefit a line"})
    icon_url = ImageUrl(allow_none=True)


class TierIn(TierShown):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,16}$"))
    name = fields.String(required=True, validate=validate.Length(1, 32))
    threshold_points = Integer(required=True, validate=THRESHOLD)
    multiplier = ExactDecimal(load_default=Decimal("1"), places=2,
                              validate=validate.Range(Decimal("1"), Decimal("10")),
                              metadata={"description": "earning multiplier, e.g. 1.5"})


class TierPatch(TierShown):
    name = fields.String(validate=validate.Length(1, 32))
    threshold_points = Integer(validate=THRESHOLD)
    multiplier = ExactDecimal(places=2, validate=validate.Range(Decimal("1"), Decimal("10")))
    active = fields.Boolean()


class PublicTierOut(Schema):
    code = fields.String()
    name = fields.String()
    threshold_points = fields.Integer()
    multiplier = fields.Function(lambda t: t.multiplier_percent / 100)
    benefits = fields.String(allow_none=True)
    icon_url = fields.String(allow_none=True)


class PublicTiersOut(Schema):
    items = fields.List(fields.Nested(PublicTierOut))


class TierOut(PublicTierOut):
    active = fields.Boolean()



class TierChangeOut(Schema):
    id = fields.Integer()
    from_tier = fields.Nested(TierRef, allow_none=True, metadata={"description": "null: none"})
    to_tier = fields.Nested(TierRef, allow_none=True, metadata={"description": "null: none"})
    reason = fields.String(validate=validate.OneOf(tier_history.REASONS), metadata={
        "description": "earned: a credit crossed a threshold; review: the periodic review; "
                       "merge: an account merge (the merged member loses its tier, the member "
                       "it joined may rise); rules: a tier became easier to reach"})
    created_at = fields.DateTime()


TierChangesPage = page_schema(TierChangeOut, "TierChangesPage")
