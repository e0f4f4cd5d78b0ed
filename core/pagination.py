"""One cursor helper for every list: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`.

Keyset pagination on a unique, indexed column (usually `id`, newest first): pages stay fast
at any depth and stable while rows are added.
"""
import base64
import json

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, and_, or_

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
    return _encode([value])


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


def paginate_sorted(session, stmt: Select, sort_key, id_column, *, limit: int,
                    cursor: str | None, ascending: bool, tag: str) -> dict:
    """Run `stmt` one page at a time ordered by `sort_key` (an integer column or expression,
    not null; ties are common) then `id_column` descending. The cursor carries `tag` (say, the
    sort's name), the last row's sort key and its id: a cursor from another order is 422."""
    if cursor:
        value, after = _decode_sorted(cursor, tag)
        beyond = sort_key > value if ascending else sort_key < value
        stmt = stmt.where(or_(beyond, and_(sort_key == value, id_column < after)))
    label = sort_key.label("sort_key")
    stmt = (stmt.add_columns(label)
            .order_by(sort_key.asc() if ascending else sort_key.desc(), id_column.desc())
            .limit(limit + 1))
    rows = session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last, value = rows[-1][0], rows[-1][1]
        next_cursor = _encode([tag, int(value), getattr(last, id_column.key)])
    return {"items": [row[0] for row in rows], "next_cursor": next_cursor}


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_sorted(cursor: str, tag: str) -> tuple[int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        decoded = None
    if (type(decoded) is list and len(decoded) == 3 and decoded[0] == tag
            and all(type(v) is int and holds(v) for v in decoded[1:])):
        return decoded[1], decoded[2]
    raise ValidationFailed(details={"cursor": ["Not a cursor this API gave out for this sort."]})
