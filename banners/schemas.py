from marshmallow import Schema, fields, validate

from banners.models import LINK_TYPES
from core.fields import AwareDateTime, Integer
from media.fields import ImageUrl


class BannerFields(Schema):
    """What a banner is; every field optional (a PATCH sends only what changes)."""

    title = fields.String(validate=validate.Length(1, 64))
    image_url = ImageUrl()
    link_type = fields.String(validate=validate.OneOf(LINK_TYPES))
    link_target = fields.String(allow_none=True, validate=validate.Length(1, 256), metadata={
        "description": "product or task id, or a page path (pages/…); null for none"})
    store_codes = fields.List(fields.String(), metadata={"description": "empty = every store"})
    starts_at = AwareDateTime(allow_none=True)
    ends_at = AwareDateTime(allow_none=True)
    sort_order = Integer(validate=validate.Range(-10_000, 10_000),
                                metadata={"description": "lower first"})
    active = fields.Boolean()


class BannerIn(BannerFields):
    title = fields.String(required=True, validate=validate.Length(1, 64))
    image_url = ImageUrl(required=True)


class Link(Schema):
    type = fields.String(attribute="link_type")
    target = fields.String(attribute="link_target", allow_none=True)


class BannerOut(Schema):
    id = fields.Integer()
    title = fields.String()
    image_url = fields.String()
    link = fields.Function(lambda b: Link().dump(b))
    starts_at = fields.DateTime(allow_none=True)
    ends_at = fields.DateTime(allow_none=True)
    sort_order = fields.Integer()


class BannersOut(Schema):
    items = fields.List(fields.Nested(BannerOut))


class AdminBannerOut(BannerOut):
    store_codes = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class BannerArgs(Schema):
    store_code = fields.String(validate=validate.Length(1, 32), metadata={
        "description": "the store the member is at (or picked): its banners and the chain's"})
