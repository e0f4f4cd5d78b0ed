"""GET /subscribe-templates: which subscribe messages the mini-program may ask members for."""
from flask import jsonify
from marshmallow import Schema, fields

from core.api import blueprint
from core.auth import public
from wx import templates

public_blp = blueprint("subscribe_templates_public", __name__, prefix="/subscribe-templates",
                       description="Template ids the mini-program passes to "
                                   "wx.requestSubscribeMessage, by purpose.")


class OfferedTemplate(Schema):
    purpose = fields.String(metadata={"description": "points_expiring | pickup_reminder | "
                                                     "coupon_expiring"})
    template_id = fields.String()


class OfferedTemplates(Schema):
    items = fields.List(fields.Nested(OfferedTemplate))


@public_blp.get("")
@public_blp.response(200, OfferedTemplates)
@public
def offered():
    """The active templates. Ask for consent with these ids only: POST /me/subscriptions
    refuses any other (422)."""
    response = jsonify(OfferedTemplates().dump({"items": templates.offered()}))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
