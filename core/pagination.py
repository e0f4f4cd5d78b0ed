"""One cursor helper for every list: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`.

Keyset pagination on a unique, indexed column (usually `id`, newest first): pages stay fast
at any depth and stable while rows are added.
"""
import base64
import json

from marshmallow import Schema, fields, validate
from sqlalchemy import Select

from core.errors import ValidationFailed
from core.fields import Integer
from core.ids import holds


class PageArgs(Schema):
    limit = Integer(text=True, load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None)


def page_schema(item_schema, name: str):
    """An output schema `{items: [item], next_cursor}` for `item_schema`."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema)),
         "next_cursor": fields.String(allow_none=True)},
        name=name,
    )


def encode_cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps([value]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor carries (every list is keyed on an id); 422 for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))[0]
    except (ValueError, IndexError, TypeError, KeyError):
        after = None
    if type(after) is not int or not holds(after):
        raise ValidationFailed(details={"cursor": ["Not a cursor this API gave out."]})
    return after


def paginate(session, stmt: Select, key_column, *, limit: int, cursor: str | None,
             descending: bool = True) -> dict:
    """Run `stmt` one page at a time, ordered by `key_column` (unique)."""
    if cursor:
        after = decode_cursor(cursor)
        stmt = stmt.where(key_column < after if descending else key_column > after)
    stmt = stmt.order_by(key_column.desc() if descending else key_column.asc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    key_name = key_column.key
    next_cursor = encode_cursor(getattr(rows[-1], key_name)) if more and rows else None
    return {"items": rows, "next_cursor": next_cursor}
