"""What a history entry came from (order, redemption, check-in, task, adjustment, …), with a
title the mini-program can show and a link to the source. Other domains give the titles of
their rows through TITLES (app.py fills it: the ledger imports no domain that uses it)."""
from collections import defaultdict
from importlib import import_module

from points.ledger import kinds

#: ref_type → "module:function": called with a list of ref ids, returns {ref_id: title}
TITLES: dict[str, str] = {}

#: an entry's ref_type → the source type the API shows
SOURCE_TYPES = {"order": "order", "order_no": "deduction", "redemption": "redemption",
                "checkin": "checkin", "checkin_makeup": "checkin", "task": "task",
                "referral": "referral", "staff": "adjustment", "entry": "entry",
                "member": "merge"}
#: sources whose id means nothing to a member (a staff id, another member's id)
UNLINKED = ("adjustment", "merge")


def describe(entries) -> None:
    """Set `title` and `source` ({type, id, title} or None) on each entry of a page: one
    read per kind of source."""
    ids = defaultdict(set)
    for entry in entries:
        if entry.ref_type in TITLES:
            ids[entry.ref_type].add(entry.ref_id)
    titles = {ref_type: _titles(TITLES[ref_type], sorted(ref_ids))
              for ref_type, ref_ids in ids.items()}
    for entry in entries:
        entry.title = titles.get(entry.ref_type, {}).get(entry.ref_id) or label(entry)
        kind = SOURCE_TYPES.get(entry.ref_type)
        entry.source = {"type": kind, "id": None if kind in UNLINKED else entry.ref_id,
                        "title": entry.title} if kind else None


def label(entry) -> str:
    return entry.reason or kinds.LABELS.get(entry.kind, entry.kind)


def _titles(path: str, ref_ids: list[str]) -> dict[str, str]:
    module, _, function = path.partition(":")
    return {str(k): v for k, v in getattr(import_module(module), function)(ref_ids).items()}
