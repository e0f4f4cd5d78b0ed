from marshmallow import Schema, ValidationError, fields, validate, validates

from core.fields import Date
from media.fields import ImageUrl
from media.schemas import FileIn
from members.masking import mask_phone
from members.privacy.schemas import DocumentRef
from members.phones import to_e164

GENDERS = ("male", "female", "unknown")


class WxLoginIn(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 128),
                         metadata={"description": "wx.login() code"})
    invite_code = fields.String(validate=validate.Length(1, 32), load_default=None)
    store_code = fields.String(validate=validate.Length(1, 32), load_default=None)


class WxLoginMember(Schema):
    id = fields.Integer()
    member_no = fields.String()
    is_new = fields.Boolean()
    phone_bound = fields.Boolean()
    status = fields.String(metadata={"description": "active, or pending while registration "
                                                    "waits for the documents to be accepted"})


class WxLoginOut(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    member = fields.Nested(WxLoginMember)
    consents_due = fields.List(fields.Nested(DocumentRef), metadata={
        "description": "documents in force not yet accepted: show them, then POST /me/consents"})


class PhoneIn(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 128),
                         metadata={"description": "getPhoneNumber code"})


class PhoneOut(Schema):
    phone_masked = fields.String()
    merged_member_no = fields.String(allow_none=True, metadata={
        "description": "the store-registered member whose points were merged in, if any"})


class MemberTierRef(Schema):
    code = fields.String()
    name = fields.String()


class Expiring(Schema):
    points = fields.Integer()
    date = fields.Date()


class PointsBlock(Schema):
    balance = fields.Integer()
    expiring = fields.Nested(Expiring, allow_none=True)


class MeOut(Schema):
    id = fields.Integer()
    member_no = fields.String()
    nickname = fields.String(allow_none=True)
    avatar_url = fields.String(allow_none=True)
    phone_masked = fields.Function(lambda m: mask_phone(m.phone))
    phone_bound = fields.Function(lambda m: m.phone is not None)
    birthday = fields.Date(allow_none=True)
    gender = fields.String(allow_none=True)
    tier = fields.Nested(MemberTierRef, allow_none=True)
    points = fields.Nested(PointsBlock)
    invite_code = fields.String(allow_none=True)
    status = fields.String()
    consents_due = fields.List(fields.Nested(DocumentRef))


class ProfileIn(Schema):
    nickname = fields.String(validate=validate.Length(1, 32))
    avatar_url = ImageUrl()
    birthday = Date()
    gender = fields.String(validate=validate.OneOf(GENDERS))

    @validates("nickname")
    def not_blank(self, value, **_kwargs):
        if not value.strip():
            raise ValidationError("A nickname cannot be blank.")


class ConsentIn(Schema):
    template_id = fields.String(required=True, validate=validate.Length(1, 64))
    accepted = fields.Boolean(required=True)


class ConsentOut(Schema):
    template_id = fields.String()
    remaining = fields.Integer(metadata={"description": "one-time consents left"})


class MemberCodeOut(Schema):
    code = fields.String(metadata={"description": "18 digits; show as QR or Code128"})
    expires_at = fields.DateTime()
    refresh_in = fields.Integer(metadata={"description": "seconds until a new code is due"})


class MemberCodeImageArgs(Schema):
    kind = fields.String(load_default="qr", validate=validate.OneOf(("qr", "barcode")))


class ScanIn(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 64))


class StaffMemberOut(Schema):
    id = fields.Integer()
    member_no = fields.String()
    nickname = fields.String(allow_none=True)
    phone_masked = fields.Function(lambda m: mask_phone(m.phone))
    tier = fields.Nested(MemberTierRef, allow_none=True)
    points_balance = fields.Integer()


class ScanOut(Schema):
    member = fields.Nested(StaffMemberOut)


class PhoneNumber(fields.String):
    """A phone number, loaded as E.164: "+447700900123" (or "0044…"), or a mainland
    "13812345678". In a query string send + as %2B: a bare + arrives as a space, and a
    leading space before digits is read as that lost +."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text[:1] == " " and text.strip().isdigit():
            text = "+" + text.strip()
        phone = to_e164(text)
        if phone is None:
            raise ValidationError("A mobile number: +<country code><number>, or 11 mainland digits.")
        return phone


class PhoneArgs(Schema):
    phone = PhoneNumber(required=True, metadata={"example": "+447700900123"})


class AvatarIn(FileIn):
    """multipart/form-data: `file`, the picture chooseAvatar gave (JPEG, PNG or WebP, ≤ 2 MiB)."""


class AvatarOut(Schema):
    avatar_url = fields.String()
