"""A member's points and history, and staff adjustments, in and out."""
from marshmallow import Schema, fields, validate

from core.fields import Date, Integer
from core.pagination import PageArgs
from points.ledger import kinds
from points.programme.schemas import TierRef
from stores.schemas import StoreRef



class EntrySource(Schema):
    type = fields.String(metadata={"description": "order | deduction | redemption | checkin | "
                                                  "task | referral | adjustment | entry (the "
                                                  "entry this one reverses) | merge"})
    id = fields.String(allow_none=True, metadata={
        "description": "the order, redemption, check-in, task or entry id (null for "
                       "adjustments and merges)"})
    title = fields.String()


class EntryOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    delta = fields.Integer()
    balance_after = fields.Integer()
    store = fields.Nested(StoreRef, allow_none=True)
    reason = fields.Method("_reason")
    title = fields.String(metadata={"description": "what to show: the product, the store's "
                                                   "order, the task, or the reason"})
    source = fields.Nested(EntrySource, allow_none=True)
    created_at = fields.DateTime()

    def _reason(self, entry):
        from points.ledger.balances import entry_reason

        return entry_reason(entry)


class EntriesArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(kinds.ALL))
    date_from = Date(data_key="from")
    date_to = Date(data_key="to")
    direction = fields.String(validate=validate.OneOf(("in", "out")), metadata={
        "description": "in: points received (收入); out: points spent or lost (支出)"})


class ExpiringOut(Schema):
    date = fields.Date()
    points = fields.Integer()


class NextTierOut(Schema):
    code = fields.String()
    name = fields.String()
    points_needed = fields.Integer()


class MyPointsOut(Schema):
    balance = fields.Integer()
    lifetime_earned = fields.Integer()
    tier = fields.Nested(TierRef, allow_none=True)
    next_tier = fields.Nested(NextTierOut, allow_none=True)
    expiring = fields.List(fields.Nested(ExpiringOut))
    tier_review_on = fields.Date(allow_none=True, metadata={
        "description": "the next periodic tier review, which may lower the tier (null: no tier)"})


class AdjustmentIn(Schema):
    delta = Integer(required=True, validate=[
        validate.Range(-1_000_000, 1_000_000),
        validate.NoneOf([0], error="An adjustment changes the balance: not 0.")])
    reason = fields.String(required=True, validate=validate.Length(2, 200))
    store_code = fields.String(metadata={"description": "where it is recorded; a manager with "
                                                        "several stores must say which"})


class AdjustmentOut(EntryOut):
    member_no = fields.String()
