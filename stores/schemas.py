from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.fields import Date
from core.pagination import PageArgs
from stores.models import ROLES

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{2,32}$", error="2 to 32 letters, digits, '_' or '-'.")


class LoginIn(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 128))


class StaffOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    store_codes = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class LoginOut(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    staff = fields.Nested(StaffOut)


class StoreDetails(Schema):
    """What the mini-program's store list and map show; HQ edits them."""

    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90),
                            metadata={"description": "GCJ-02; with longitude"})
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180),
                             metadata={"description": "GCJ-02; with latitude"})
    hours = fields.String(allow_none=True, validate=validate.Length(max=100),
                          metadata={"example": "周一至周日 10:00-22:00"})
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[0-9+\- ]{5,32}$", error="Digits, +, - and spaces."))
    pickup = fields.Boolean(metadata={"description": "mall gifts can be picked up here"})

    @validates_schema
    def _both_coordinates(self, data, **_kwargs):
        if ("latitude" in data) != ("longitude" in data) \
                or (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError("Give latitude and longitude together.", field_name="latitude")


class StoreIn(StoreDetails):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    brand = fields.String(allow_none=True, validate=validate.Length(max=64))


class StorePatch(StoreDetails):
    name = fields.String(validate=validate.Length(1, 100))
    brand = fields.String(allow_none=True, validate=validate.Length(max=64))
    active = fields.Boolean()


class PublicStoreOut(Schema):
    code = fields.String()
    name = fields.String()
    brand = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    pickup = fields.Boolean()


class PublicStoresOut(Schema):
    items = fields.List(fields.Nested(PublicStoreOut))


class PublicStoreArgs(Schema):
    brand = fields.String(validate=validate.Length(1, 64))
    pickup = fields.Boolean(metadata={"description": "true: only stores where gifts are picked up"})


class StoreOut(PublicStoreOut):
    active = fields.Boolean()
    created_at = fields.DateTime()


class StaffIn(Schema):
    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.@-]{3,64}$", error="3 to 64 letters, digits or _ . @ -"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(8, 128))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    store_codes = fields.List(fields.String(), load_default=list)


class StaffPatch(Schema):
    password = fields.String(load_only=True, validate=validate.Length(8, 128))
    role = fields.String(validate=validate.OneOf(ROLES))
    store_codes = fields.List(fields.String())
    active = fields.Boolean()


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, load_only=True,
                                      validate=validate.Length(1, 128))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(8, 128))


class ApiKeyOut(Schema):
    key_id = fields.String()
    store_code = fields.Function(lambda k: k.store.code)
    active = fields.Boolean()
    created_at = fields.DateTime()


class ApiKeyCreated(ApiKeyOut):
    secret = fields.String(metadata={"description": "Shown this once; store it in the POS."})


class AuditOut(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    actor_type = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    store_id = fields.Integer(allow_none=True)


class AuditArgs(PageArgs):
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    actor_name = fields.String()
    date_from = Date(data_key="from")
    date_to = Date(data_key="to")


class PosPingIn(Schema):
    store_code = fields.String()


class PosPingOut(Schema):
    store_code = fields.String()
    server_time = fields.DateTime()


class StoreRef(Schema):
    code = fields.String()
    name = fields.String()
