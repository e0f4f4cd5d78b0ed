"""The field for an image's URL in any schema: one of our uploads, or an external https URL."""
from marshmallow import fields, validate

from media import service


class ImageUrl(fields.String):
    """https only for an external image (wx.request and <image> need it); our own uploads
    are accepted as their URL is made (MEDIA_BASE_URL or this host)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=512))
        kwargs.setdefault("metadata", {"description": "an uploaded image's url "
                                                      "(POST /admin/uploads, /me/avatar) or an "
                                                      "external https url"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        url = super()._deserialize(value, attr, data, **kwargs)
        if not service.is_upload_url(url):
            validate.URL(schemes={"https"}, error="An https URL, or one of our uploads.")(url)
        return url
