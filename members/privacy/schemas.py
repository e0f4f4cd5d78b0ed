from marshmallow import Schema, fields, validate

from core.fields import AwareDateTime

from members.privacy.models import DOCUMENT_KINDS


class DocumentOut(Schema):
    kind = fields.String(metadata={"description": "privacy | terms"})
    version = fields.String()
    title = fields.String()
    url = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    effective_at = fields.DateTime()


class CurrentDocumentsOut(Schema):
    documents = fields.List(fields.Nested(DocumentOut))


class DocumentRef(Schema):
    kind = fields.String()
    version = fields.String()
    title = fields.String()
    url = fields.String(allow_none=True)


class DocumentIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    version = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9._-]{1,32}$", error="1 to 32 letters, digits, '.', '_' or '-'."))
    title = fields.String(required=True, validate=validate.Length(1, 100))
    url = fields.Url(schemes={"https"}, load_default=None, allow_none=True,
                     validate=validate.Length(max=512))
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100_000))
    effective_at = AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "when it comes into force; default now"})


class AdminDocumentOut(DocumentOut):
    id = fields.Integer()
    created_at = fields.DateTime()


class LegalConsentIn(Schema):
    document = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    version = fields.String(required=True, validate=validate.Length(1, 32))


class LegalConsentOut(Schema):
    document = fields.String(attribute="kind")
    version = fields.String()
    accepted_at = fields.DateTime()


class ConsentAnswer(LegalConsentOut):
    member_status = fields.String(metadata={"description": "active once registration is "
                                                           "complete; pending while documents "
                                                           "are still to be accepted"})
    consents_due = fields.List(fields.Nested(DocumentRef))


class ConsentHistory(Schema):
    items = fields.List(fields.Nested(LegalConsentOut))
    consents_due = fields.List(fields.Nested(DocumentRef))


class DeletionOut(Schema):
    status = fields.String(metadata={"description": "pending | withdrawn | completed"})
    requested_at = fields.DateTime()
    completes_at = fields.DateTime()
    withdrawn_at = fields.DateTime(allow_none=True)


class ExportArgs(Schema):
    download = fields.Boolean(load_default=False, metadata={
        "description": "answer as a file to save (Content-Disposition: attachment)"})
