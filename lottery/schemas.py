from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.fields import AwareDateTime, Integer
from core.ids import Id
from core.pagination import PageArgs
from lottery.models import COUPON, DRAW_STATUSES, GIFT, POINTS, PRIZE_KINDS
from mall.schemas import CouponOut

POSITIVE = validate.Range(1, 100_000_000)
LIMIT = validate.Range(1, 100_000)


class PrizeIn(Schema):
    id = Id(metadata={"description": "an existing line (PATCH); none = a new line"})
    name = fields.String(required=True, validate=validate.Length(1, 64))
    kind = fields.String(required=True, validate=validate.OneOf(PRIZE_KINDS))
    weight = Integer(required=True, validate=validate.Range(1, 1_000_000))
    stock = Integer(allow_none=True, load_default=None, validate=validate.Range(0, 10_000_000),
                    metadata={"description": "units to win; null = unlimited"})
    points = Integer(allow_none=True, validate=POSITIVE, metadata={"description": "points prizes"})
    product_id = Id(allow_none=True,
                    metadata={"description": "coupon and gift prizes: the mall product"})
    value_fen = Integer(validate=validate.Range(0, 100_000_000),
                        metadata={"description": "what one costs, against budget_fen"})

    @validates_schema
    def _kind_fields(self, data, **_kwargs):
        kind = data.get("kind")
        if kind == POINTS and not data.get("points"):
            raise ValidationError("A points prize needs points.", field_name="points")
        if kind in (COUPON, GIFT) and not data.get("product_id"):
            raise ValidationError(f"A {kind} prize needs a product_id.", field_name="product_id")


class LotteryFields(Schema):
    """What a lottery is; every field optional (a PATCH sends only what changes)."""

    name = fields.String(validate=validate.Length(1, 64))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    cost_points = Integer(validate=POSITIVE)
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    daily_limit = Integer(allow_none=True, validate=LIMIT, metadata={
        "description": "draws per member per business day; null = none"})
    total_limit = Integer(allow_none=True, validate=LIMIT,
                          metadata={"description": "draws per member in total; null = none"})
    tier_required = fields.String(allow_none=True, validate=validate.Length(1, 16))
    store_codes = fields.List(fields.String(), metadata={"description": "empty = anywhere"})
    budget_points = Integer(allow_none=True, validate=POSITIVE,
                            metadata={"description": "points the points prizes may award"})
    budget_fen = Integer(allow_none=True, validate=POSITIVE,
                         metadata={"description": "value (value_fen) the prizes may award"})
    prizes = fields.List(fields.Nested(PrizeIn), validate=validate.Length(1, 20),
                         metadata={"description": "the whole table (a PATCH too)"})
    active = fields.Boolean()


class LotteryIn(LotteryFields):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    cost_points = Integer(required=True, validate=POSITIVE)
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    daily_limit = Integer(allow_none=True, load_default=None, validate=LIMIT)
    total_limit = Integer(allow_none=True, load_default=None, validate=LIMIT)
    store_codes = fields.List(fields.String(), load_default=list)
    prizes = fields.List(fields.Nested(PrizeIn), required=True, validate=validate.Length(1, 20))


class PrizeStockIn(Schema):
    delta = Integer(required=True, validate=[
        validate.Range(-10_000_000, 10_000_000),
        validate.NoneOf([0], error="A stock adjustment changes the stock: not 0.")])
    reason = fields.String(required=True, validate=validate.Length(2, 200))


class AdminPrizeOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    weight = fields.Integer()
    stock_total = fields.Integer(allow_none=True)
    stock_left = fields.Integer(allow_none=True)
    points = fields.Integer(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    value_fen = fields.Integer()
    active = fields.Boolean()


class AdminLotteryOut(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    cost_points = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    daily_limit = fields.Integer(allow_none=True)
    total_limit = fields.Integer(allow_none=True)
    tier_required = fields.String(allow_none=True)
    store_codes = fields.List(fields.String())
    budget_points = fields.Integer(allow_none=True)
    budget_fen = fields.Integer(allow_none=True)
    awarded_points = fields.Integer()
    awarded_fen = fields.Integer()
    active = fields.Boolean()
    prizes = fields.List(fields.Nested(AdminPrizeOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class AdminLotteryArgs(PageArgs):
    active = fields.Boolean()


class PrizeOdds(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    points = fields.Integer(allow_none=True)
    weight = fields.Integer()
    odds = fields.Float(metadata={"description": "weight / total_weight: the chance a draw "
                                                 "uses now"})
    odds_fraction = fields.String(metadata={"description": "the same, exactly: 'w/W' reduced"})


class LotteryOut(Schema):
    id = fields.Integer(attribute="rules.id")
    name = fields.String(attribute="rules.name")
    description = fields.String(attribute="rules.description", allow_none=True)
    cost_points = fields.Integer(attribute="rules.cost_points")
    starts_at = fields.DateTime(attribute="rules.starts_at")
    ends_at = fields.DateTime(attribute="rules.ends_at")
    daily_limit = fields.Integer(attribute="rules.daily_limit", allow_none=True)
    total_limit = fields.Integer(attribute="rules.total_limit", allow_none=True)
    tier_required = fields.String(attribute="rules.tier_required", allow_none=True)
    store_codes = fields.List(fields.String(), attribute="rules.store_codes")
    draws_left_today = fields.Integer(allow_none=True, metadata={"description": "null = no limit"})
    draws_left_total = fields.Integer(allow_none=True, metadata={"description": "null = no limit"})
    seed_commitment = fields.String(allow_none=True, metadata={
        "description": "hex SHA-256 of the seed of today's period (or the first one)"})
    next_seed_commitment = fields.String(allow_none=True, metadata={
        "description": "the next period's, published before it starts"})
    total_weight = fields.Integer()
    prizes = fields.List(fields.Nested(PrizeOdds), metadata={
        "description": "the prizes a draw can win now (in stock, within budget)"})


class LotteryList(Schema):
    items = fields.List(fields.Nested(LotteryOut))


class LotteryArgs(Schema):
    store_code = fields.String()


class WonPrize(Schema):
    """What a draw won: points, a coupon, or a gift's pickup code (its status in the mall)."""

    id = fields.Integer(attribute="prize_id")
    name = fields.String(attribute="prize_name")
    kind = fields.String(attribute="prize_kind")
    points = fields.Integer(attribute="points_won", allow_none=True)
    coupon = fields.Method("_coupon", allow_none=True)
    pickup_code = fields.Method("_pickup_code", allow_none=True)
    pickup_expires_at = fields.Method("_pickup_expires_at", allow_none=True)
    redemption_id = fields.Integer(allow_none=True)
    redemption_status = fields.Method("_redemption_status", allow_none=True)

    def _coupon(self, draw):
        r = draw.redemption
        return CouponOut().dump(r.coupons[0]) if r is not None and r.coupons else None

    def _pickup_code(self, draw):
        r = draw.redemption
        return r.pickup_code if r is not None and r.kind == GIFT else None

    def _pickup_expires_at(self, draw):
        r = draw.redemption
        return r.pickup_expires_at.isoformat() if r is not None and r.pickup_expires_at else None

    def _redemption_status(self, draw):
        return draw.redemption.status if draw.redemption is not None else None


class DrawIn(Schema):
    store_code = fields.String(allow_none=True, metadata={
        "description": "the store drawn at (a lottery limited to stores needs one of them)"})


class DrawOut(Schema):
    id = fields.Integer(attribute="draw.id")
    lottery_id = fields.Integer(attribute="draw.lottery_id")
    prize = fields.Function(lambda d: WonPrize().dump(d.draw))
    status = fields.String(attribute="draw.status", metadata={
        "description": "won, lost (谢谢参与), cancelled (a gift not picked up)"})
    points_spent = fields.Integer(attribute="draw.points_spent")
    balance = fields.Integer()
    redrawn = fields.Boolean(attribute="draw.redrawn", metadata={
        "description": "the prize first picked had just run out: picked again among the rest"})
    created_at = fields.DateTime(attribute="draw.created_at")


class MyDrawOut(Schema):
    id = fields.Integer()
    lottery_id = fields.Integer()
    prize = fields.Function(lambda d: WonPrize().dump(d))
    status = fields.String()
    points_spent = fields.Integer()
    redrawn = fields.Boolean()
    created_at = fields.DateTime()


class MyDrawArgs(PageArgs):
    lottery_id = Id(text=True)


class AdminDrawOut(MyDrawOut):
    member_id = fields.Integer()
    period = fields.Date()
    store_id = fields.Integer(allow_none=True)


class AdminDrawArgs(PageArgs):
    member_no = fields.String()
    prize_id = Id(text=True)
    status = fields.String(validate=validate.OneOf(DRAW_STATUSES))


class WinnerOut(Schema):
    member = fields.String(metadata={"description": "masked: 张** or 90****1234"})
    prize_name = fields.String()
    prize_kind = fields.String()
    created_at = fields.DateTime()


class WinnerList(Schema):
    items = fields.List(fields.Nested(WinnerOut))


class PickOut(Schema):
    weights = fields.List(fields.List(fields.Integer()), metadata={
        "description": "[[prize id, weight], …] of the prizes in stock, in the order used"})
    value = fields.Integer()
    prize_id = fields.Integer()
    taken = fields.Boolean(metadata={"description": "false: that prize had just run out"})


class ProofOut(Schema):
    draw_id = fields.Integer()
    lottery_id = fields.Integer()
    period = fields.Date()
    seed_commitment = fields.String()
    committed_at = fields.DateTime()
    seed = fields.String(allow_none=True, metadata={"description": "hex; null until the period "
                                                                   "is over"})
    input = fields.String()
    random_value = fields.Integer()
    weights = fields.List(fields.List(fields.Integer()))
    prize_id = fields.Integer()
    picks = fields.List(fields.Nested(PickOut))
    redrawn = fields.Boolean()
    algorithm = fields.String()

