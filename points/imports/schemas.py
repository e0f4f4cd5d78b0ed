"""Bulk points files in and out of the API."""
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from core.pagination import PageArgs
from points.imports.checking import OUTCOMES
from points.imports.running import APPLIED, ALREADY_APPLIED, INSUFFICIENT

RESULTS = (APPLIED, ALREADY_APPLIED, INSUFFICIENT)


class ImportFileIn(Schema):
    file = Upload(required=True, metadata={
        "description": "CSV: a header naming phone or member_no, delta, reason (or 手机号 / "
                       "会员号, 积分, 原因); UTF-8 with or without a BOM, or GBK; at most 16 MiB "
                       "and 200,000 rows"})


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=True, metadata={
        "description": "true (default): check every row and move nothing; false: check, then "
                       "run the fit rows as a job (GET the import for its progress)"})


class ImportOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    sha256 = fields.String(metadata={"description": "the rows' ledger keys start with it: the "
                                                    "same file run again moves nothing twice"})
    status = fields.String(metadata={"description": "checked | queued | running | done"})
    rows_total = fields.Integer()
    rows_ok = fields.Integer(metadata={"description": "rows the dry run found fit to run"})
    percent = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "rows by outcome (ok, unknown_member, would_go_negative, duplicate_row, "
                       "bad_number, no_reason) or, once run, result (applied, already_applied, "
                       "insufficient_points)"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class RowsArgs(PageArgs):
    outcome = fields.String(validate=validate.OneOf(OUTCOMES + RESULTS + ("problems",)))


class RowOut(Schema):
    row_no = fields.Integer()
    identifier = fields.String()
    delta = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    outcome = fields.String()
    result = fields.String(allow_none=True)
    balance_after = fields.Integer(allow_none=True)
