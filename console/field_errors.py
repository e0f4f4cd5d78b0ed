"""The API schema's field messages (a 422's details) put back on the console form's fields,
in the reader's language where the message is one of marshmallow's usual ones."""
import re

from flask_babel import gettext as _

#: marshmallow's messages (and the domain schemas' own) → the console's words
_KNOWN = [
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     lambda m: _("Must be between %(low)s and %(high)s.", low=m[1], high=m[2])),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"),
     lambda m: _("Must be at least %(low)s.", low=m[1])),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _("Between %(low)s and %(high)s entries or characters.", low=m[1], high=m[2])),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     lambda m: _("At most %(high)s characters.", high=m[1])),
    (re.compile(r"^(Missing data for required field|Required for this kind)\.$"),
     lambda m: _("Required.")),
    (re.compile(r"^Must be after starts_at\.$"), lambda m: _("Must be after the start.")),
    (re.compile(r"^Give a multiplier or bonus_points"),
     lambda m: _("Give a multiplier or bonus points (one of them).")),
    (re.compile(r"^Must be one of"), lambda m: _("Not one of the choices.")),
]


def translate(message: str) -> str:
    for pattern, say in _KNOWN:
        if match := pattern.match(str(message)):
            return say(match)
    return str(message)


def flatten(messages, prefix="") -> list[tuple[str, str]]:
    """{"makeup": {"cost_points": ["…"]}, "schedule": {2: ["…"]}} →
    [("makeup.cost_points", "…"), ("schedule.2", "…")]."""
    if isinstance(messages, dict):
        return [pair for key, value in messages.items()
                for pair in flatten(value, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(messages, (list, tuple)):
        return [pair for item in messages for pair in flatten(item, prefix)]
    return [(prefix, translate(messages))]


def attach(form, details: dict, renames: dict | None = None) -> list[str]:
    """Put each message on its form field (`renames`: schema path → form field name; a path
    "list.N" goes to entry N of a FieldList); returns the lines no field took."""
    left = []
    for path, message in flatten(details or {}):
        name, _dot, index = (renames or {}).get(path, path).partition(".")
        field = form._fields.get(name)
        if field is not None and index.isdigit() and hasattr(field, "entries"):
            field = field.entries[int(index)] if int(index) < len(field.entries) else field
        if field is None:
            left.append(f"{path}: {message}")
            continue
        field.errors = [*field.errors, message]
    return left
