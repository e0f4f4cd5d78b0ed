from marshmallow import Schema, fields, validate

from wx.templates import PURPOSES

SOURCES = sorted({source for sources in PURPOSES.values() for source in sources})
DATA_KEY = validate.Regexp(r"^[a-z_]+[0-9]+$", error="A WeChat data key such as thing1 or date3.")


class TemplateFields(fields.Dict):
    """`removable`: a PATCH may send a key as null to remove it."""

    def __init__(self, removable=False, metadata=None, **kwargs):
        super().__init__(keys=fields.String(validate=DATA_KEY),
                         values=fields.String(validate=validate.OneOf(SOURCES),
                                              allow_none=removable),
                         validate=validate.Length(max=10),
                         metadata={"description": "WeChat data key → what fills it: "
                                                  + " | ".join(SOURCES),
                                   "example": {"thing1": "tip", "number2": "points",
                                               "date3": "expiry_date", "number4": "balance"},
                                   **(metadata or {})},
                         **kwargs)


class SubscribeTemplateIn(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(sorted(PURPOSES)))
    template_id = fields.String(required=True, validate=validate.Length(1, 64))
    page = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=256))
    fields_ = TemplateFields(required=True, data_key="fields")
    tip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                        metadata={"description": "the tip text; cut to fit its key's type "
                                                 "(thing: 20 characters)"})


class SubscribeTemplatePatch(Schema):
    template_id = fields.String(validate=validate.Length(1, 64))
    page = fields.String(allow_none=True, validate=validate.Length(max=256))
    fields_ = TemplateFields(removable=True, data_key="fields", metadata={
        "description": "merged into the template's: only the data keys sent change, a key "
                       "sent as null is removed; what fills a key: " + " | ".join(SOURCES)})
    tip = fields.String(allow_none=True, validate=validate.Length(max=64))
    active = fields.Boolean()


class SubscribeTemplateOut(Schema):
    id = fields.Integer()
    purpose = fields.String()
    template_id = fields.String()
    page = fields.String(allow_none=True)
    fields_ = fields.Dict(attribute="fields", data_key="fields")
    tip = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TemplateListArgs(Schema):
    purpose = fields.String(validate=validate.OneOf(sorted(PURPOSES)))
