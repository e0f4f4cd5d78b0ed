"""The console's menu, as data: each page is one line here. Pages group under a heading for
marketers and HQ (a dropdown); the till's pages stay flat, one tap away. An entry whose
endpoint is not registered (a page not built yet) or whose roles exclude the signed-in staff
member is left out, so the menu never shows a dead link."""
from dataclasses import dataclass

from flask import current_app, g, request, url_for
from flask_babel import lazy_gettext as _l

TILL = ("cashier", "store_manager", "hq_admin")
MANAGERS = ("store_manager", "hq_admin")
ADJUSTERS = ("store_manager", "hq_admin")
MARKETING = ("marketer", "hq_admin")
HQ = ("hq_admin",)


@dataclass(frozen=True)
class Entry:
    label: str
    endpoint: str
    roles: tuple
    group: str = ""            # "" = a top-level link
    current: tuple = ()        # other endpoints, or endpoint prefixes ending in "*", of the page
    accesskey: str = ""

    def is_current(self) -> bool:
        here = request.endpoint or ""
        return here == self.endpoint or any(
            here.startswith(c[:-1]) if c.endswith("*") else here == c for c in self.current)


#: groups, in the order they appear
GROUPS = {
    "configure": _l("Configure"),
    "members": _l("Members"),
    "hq": _l("HQ"),
}

#: the menu; helpers add their page with one line
ENTRIES = [
    # at the till (flat)
    Entry(_l("Scan"), "console.scan", TILL, current=("console.member",), accesskey="1"),
    Entry(_l("Pickup & coupons"), "console.handover", TILL, accesskey="2"),
    Entry(_l("Refund"), "console.refund", TILL, accesskey="3"),
    Entry(_l("Today"), "console.today", TILL, accesskey="4"),
    Entry(_l("Audit log"), "console.audit", ADJUSTERS, accesskey="5"),
    Entry(_l("Campaigns"), "console.campaigns", MANAGERS),
    # marketers and HQ: the dashboard (their landing page), then the groups in this order
    Entry(_l("Dashboard"), "console.dashboard", MARKETING),
    Entry(_l("Task centre"), "console.tasks", MARKETING, group="configure",
          current=("console.task", "console.new_task")),
    Entry(_l("Earning"), "console.earning", MARKETING, group="configure",
          current=("console.earn_rule", "console.new_promotion", "console.promotion")),
    Entry(_l("Points mall"), "console.mall_products", MARKETING, group="configure",
          current=("console.mall_*", "console.new_product", "console.cancel_redemption")),
    Entry(_l("Lotteries"), "console.lotteries", MARKETING, group="configure",
          current=("console.lotter*",)),
    Entry(_l("Programme settings"), "console.programme", HQ, group="configure",
          current=("console.programme_*", "console.subscribe_template*",
                   "console.new_subscribe_template")),
    Entry(_l("Member directory"), "console.directory", MARKETING, group="members",
          current=("console.member_record",)),
    Entry(_l("Analytics"), "console.segments", MARKETING, group="members",
          current=("console.members", "console.liability", "console.tag_list",
                   "console.automation*", "console.tag*")),
    Entry(_l("Reports"), "console.reports", MARKETING),
    Entry(_l("HQ approvals"), "console.hq_campaigns", MARKETING, group="hq"),
    Entry(_l("Stores and POS keys"), "console.hq_stores", HQ, group="hq",
          current=("console.hq_store",)),
    Entry(_l("Staff"), "console.hq_staff", HQ, group="hq",
          current=("console.hq_staff_member",)),
    Entry(_l("Bulk points"), "console.bulk_points", HQ, group="hq",
          current=("console.points_import",)),
]


def menu() -> list[dict]:
    """The signed-in staff member's menu: each item a link {"entry"} or a group {"heading",
    "entries"}; "current" marks the page shown (or the group holding it)."""
    staff = g.get("staff")
    if staff is None:
        return []
    endpoints = current_app.view_functions
    items, groups = [], {}
    for entry in ENTRIES:
        if staff.role not in entry.roles or entry.endpoint not in endpoints:
            continue
        if not entry.group:
            items.append({"entry": entry, "current": entry.is_current()})
            continue
        if entry.group not in groups:
            groups[entry.group] = {"heading": GROUPS[entry.group], "entries": [],
                                   "current": False}
            items.append(groups[entry.group])
        groups[entry.group]["entries"].append(entry)
        groups[entry.group]["current"] |= entry.is_current()
    return items


def link(entry: Entry) -> str:
    return url_for(entry.endpoint)
