from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core import clock
from core.fields import AwareDateTime, Date, Integer
from core.ids import Id
from core.pagination import PageArgs
from mall.catalog import SORTS
from mall.models import KINDS, STATUSES
from media.fields import ImageUrl
from points.programme import tiers
from mall.service import MAX_QUANTITY
from stores.schemas import StoreRef

NON_NEGATIVE = validate.Range(min=0)
FEN = validate.Range(0, 100_000_000)
PRODUCT_SORTS = ("newest", *SORTS)
CODE = validate.Regexp(r"^\d{6,16}$", error="Digits only.")


class CouponTerms(Schema):
    deduct_fen = Integer(required=True, validate=validate.Range(1, 100_000_000))
    min_spend_fen = Integer(load_default=0, validate=FEN)
    valid_days = Integer(required=True, validate=validate.Range(1, 3650))


class ProductFields(Schema):
    """What a product is; every field optional (a PATCH sends only what changes)."""

    title = fields.String(validate=validate.Length(1, 100))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    points_price = Integer(validate=validate.Range(1, 100_000_000))
    cash_price_fen = Integer(validate=FEN,
                                    metadata={"description": "gifts only: paid at pickup"})
    per_member_limit = Integer(validate=validate.Range(0, 100_000),
                                      metadata={"description": "units per member; 0 = none"})
    tier_required = fields.String(allow_none=True, validate=validate.Length(1, 16))
    store_codes = fields.List(fields.String(), metadata={"description": "empty = every store"})
    starts_at = AwareDateTime(allow_none=True)
    ends_at = AwareDateTime(allow_none=True)
    category = fields.String(allow_none=True, validate=validate.Length(1, 32))
    image_urls = fields.List(ImageUrl(), validate=validate.Length(max=9))
    pickup_days = Integer(validate=validate.Range(1, 365), metadata={
        "description": "gifts: days to pick up before the redemption is cancelled and the "
                       "points returned"})
    coupon = fields.Nested(CouponTerms, allow_none=True)
    active = fields.Boolean()


class ProductIn(ProductFields):
    title = fields.String(required=True, validate=validate.Length(1, 100))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    points_price = Integer(required=True, validate=validate.Range(1, 100_000_000))
    stock = Integer(required=True, validate=validate.Range(0, 10_000_000))
    cash_price_fen = Integer(load_default=0, validate=FEN)
    per_member_limit = Integer(load_default=0, validate=validate.Range(0, 100_000))
    store_codes = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _coupon_terms(self, data, **_kwargs):
        if (data.get("kind") == "coupon") != bool(data.get("coupon")):
            raise ValidationError("A coupon product needs coupon terms; other kinds none.",
                                  field_name="coupon")


class StockIn(Schema):
    delta = Integer(required=True, validate=[
        validate.Range(-10_000_000, 10_000_000),
        validate.NoneOf([0], error="A stock adjustment changes the stock: not 0.")])
    reason = fields.String(required=True, validate=validate.Length(2, 200))


class StockChangeOut(Schema):
    at = fields.DateTime(attribute="created_at")
    by = fields.String(attribute="actor_name", allow_none=True)
    delta = fields.Function(lambda e: (e.after or {}).get("delta"))
    stock_left = fields.Function(lambda e: (e.after or {}).get("stock_left"))
    reason = fields.String(allow_none=True)


class CouponTermsOut(Schema):
    deduct_fen = fields.Integer(attribute="coupon_deduct_fen")
    min_spend_fen = fields.Integer(attribute="coupon_min_spend_fen")
    valid_days = fields.Integer(attribute="coupon_valid_days")


class ProductOut(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String()
    points_price = fields.Integer()
    cash_price_fen = fields.Integer()
    stock_left = fields.Integer()
    per_member_limit = fields.Integer()
    tier_required = fields.String(allow_none=True)
    store_codes = fields.List(fields.String())
    starts_at = fields.DateTime(allow_none=True)
    ends_at = fields.DateTime(allow_none=True)
    category = fields.String(allow_none=True)
    image_urls = fields.List(fields.String())
    pickup_days = fields.Method("_pickup_days", allow_none=True)
    coupon = fields.Method("_coupon", allow_none=True)
    tier_required_name = fields.Method("_tier_name", allow_none=True, metadata={
        "description": "the required tier's name, as members know it"})
    my_redeemed = fields.Integer(metadata={"description": "units I hold (not cancelled); "
                                                          "with per_member_limit: how many more"})

    def _tier_name(self, product):
        tier = tiers.tier_by_code(product.tier_required)
        return tier.name if tier else None

    def _pickup_days(self, product):
        return product.pickup_days if product.kind == "gift" else None

    def _coupon(self, product):
        return CouponTermsOut().dump(product) if product.kind == "coupon" else None


class AdminProductOut(ProductOut):
    funded_by = fields.Function(lambda p: p.store_codes[0] if p.store_id else None, metadata={
        "description": "a store's own gift: the store that runs it and hands it over; null: HQ's"})
    stock_total = fields.Integer()
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class AdminProductArgs(PageArgs):
    active = fields.Boolean()
    kind = fields.String(validate=validate.OneOf(KINDS))
    category = fields.String()


class ProductArgs(PageArgs):
    store_code = fields.String()
    category = fields.String()
    upcoming = fields.Boolean(load_default=False, metadata={
        "description": "also list products whose window has not started yet"})
    sort = fields.String(load_default="newest", validate=validate.OneOf(PRODUCT_SORTS), metadata={
        "description": "newest (default) | points_asc | points_desc | popular (units redeemed); "
                       "ties newest first; keep the same sort when following next_cursor"})


class Category(Schema):
    category = fields.String()
    products = fields.Integer()


class CategoriesOut(Schema):
    items = fields.List(fields.Nested(Category))


class RedemptionIn(Schema):
    product_id = Id(required=True)
    quantity = Integer(load_default=1, validate=validate.Range(1, MAX_QUANTITY))
    store_code = fields.String(allow_none=True, metadata={
        "description": "the store to pick up (gift) or redeem at; the points are recorded there"})


class CouponOut(Schema):
    code = fields.String()
    title = fields.String()
    status = fields.Method("_status", metadata={"description": "unused, used or expired"})
    deduct_fen = fields.Integer()
    min_spend_fen = fields.Integer()
    expires_at = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)
    used_store = fields.Nested(StoreRef, allow_none=True)
    usable_stores = fields.List(fields.Nested(StoreRef), metadata={
        "description": "where it can be used; empty = every store"})

    def _status(self, coupon):
        return coupon.status_at(clock.now())


class ProductRef(Schema):
    id = fields.Integer(attribute="product_id")
    title = fields.String()
    kind = fields.String()


class RedemptionOut(Schema):
    id = fields.Integer()
    status = fields.String()
    product = fields.Function(lambda r: ProductRef().dump(r))
    quantity = fields.Integer()
    points = fields.Integer()
    cash_fen = fields.Integer(metadata={"description": "to pay in the store at pickup"})
    store = fields.Nested(StoreRef, allow_none=True)
    pickup_code = fields.String(allow_none=True)
    pickup_expires_at = fields.DateTime(allow_none=True)
    coupon = fields.Method("_coupon", allow_none=True)
    coupons = fields.List(fields.Nested(CouponOut))
    created_at = fields.DateTime()
    fulfilled_at = fields.DateTime(allow_none=True)
    fulfilled_store = fields.Nested(StoreRef, allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)

    def _coupon(self, redemption):
        return CouponOut().dump(redemption.coupons[0]) if redemption.coupons else None


class StaffRedemptionOut(RedemptionOut):
    """What staff see: the member's number, never the pickup code (only the member has it)."""

    class Meta:
        exclude = ("pickup_code",)

    member_no = fields.String(attribute="member.member_no")


class AdminRedemptionOut(StaffRedemptionOut):
    member_id = fields.Integer()
    cancelled_by = fields.String(allow_none=True)


class RedemptionArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))


class AdminRedemptionArgs(RedemptionArgs):
    member_no = fields.String()
    product_id = Id(text=True)
    store_code = fields.String(metadata={"description": "to be picked up or redeemed there"})
    date_from = Date(data_key="from", metadata={"description": "made on or after (business date)"})
    date_to = Date(data_key="to", metadata={"description": "made on or before (business date)"})


class WrittenOffCouponArgs(PageArgs):
    store_code = fields.String(metadata={"description": "written off there"})
    member_no = fields.String()
    product_id = Id(text=True)
    date_from = Date(data_key="from", metadata={"description": "used on or after (business date)"})
    date_to = Date(data_key="to", metadata={"description": "used on or before (business date)"})


class CancelIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(2, 200))


class PickupIn(Schema):
    pickup_code = fields.String(required=True, validate=CODE)
    store_code = fields.String(required=True)


class CouponUseIn(Schema):
    coupon_code = fields.String(required=True, validate=CODE)
    store_code = fields.String(required=True)
    order_amount_fen = Integer(allow_none=True, validate=FEN, metadata={
        "description": "the order's amount; when given, the coupon's min_spend_fen is checked"})


class CouponArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(("unused", "used", "expired")))


class StaffCouponOut(CouponOut):
    member_no = fields.String(attribute="member.member_no")
    order_amount_fen = fields.Integer(allow_none=True)


class WrittenOffCouponOut(StaffCouponOut):
    product_id = fields.Integer()
    redemption_id = fields.Integer()
