from flask_smorest.fields import Upload as UploadField
from marshmallow import Schema, fields, validate

from media.models import STAFF_PURPOSES


class FileIn(Schema):
    file = UploadField(required=True, metadata={"description": "the image: JPEG, PNG or WebP"})


class PurposeIn(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(STAFF_PURPOSES))


class UploadOut(Schema):
    url = fields.String(metadata={"description": "use it as image_url / icon_url / image_urls[]"})
    purpose = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
