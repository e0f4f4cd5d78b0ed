"""HQ's and marketers' programme settings and tiers, and a member's tier history."""
from core.api import blueprint, documents
from core.auth import staff_required
from core.pagination import PageArgs
from members.lookup import member_by_no
from points.programme import settings, tier_history, tiers
from points.programme.schemas import (SettingsSchema, TierChangesPage, TierIn, TierOut,
                                      TierPatch)
from stores.models import MARKETING

admin_blp = blueprint("points_admin", __name__, prefix="/admin",
                      description="Programme settings (earning, expiry, deduction) and tiers.")


@admin_blp.get("/settings")
@admin_blp.response(200, SettingsSchema)
@documents(admin_blp, 401, 403, auth="staff")
@staff_required(*MARKETING)
def get_settings():
    return settings.get_settings()


@admin_blp.put("/settings")
@admin_blp.arguments(SettingsSchema)
@admin_blp.response(200, SettingsSchema)
@documents(admin_blp, 401, 403, auth="staff")
@staff_required(*MARKETING)
def put_settings(data):
    """Send only the sections (and fields) to change. New expiry rules apply to new points."""
    return settings.update_settings(data)


@admin_blp.get("/tiers")
@admin_blp.response(200, TierOut(many=True))
@documents(admin_blp, 401, 403, auth="staff")
@staff_required(*MARKETING)
def list_tiers():
    return tiers.list_tiers()


@admin_blp.post("/tiers")
@admin_blp.arguments(TierIn)
@admin_blp.response(201, TierOut)
@documents(admin_blp, 401, 403, 409, auth="staff")
@staff_required(*MARKETING)
def create_tier(data):
    return tiers.create_tier(data["code"], data["name"], data["threshold_points"],
                             _percent(data["multiplier"]), benefits=data.get("benefits"),
                             icon_url=data.get("icon_url"))


@admin_blp.get("/tiers/<code>")
@admin_blp.response(200, TierOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*MARKETING)
def get_tier(code):
    return tiers.get_tier(code)


@admin_blp.patch("/tiers/<code>")
@admin_blp.arguments(TierPatch)
@admin_blp.response(200, TierOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*MARKETING)
def update_tier(data, code):
    if "multiplier" in data:
        data["multiplier_percent"] = _percent(data.pop("multiplier"))
    return tiers.update_tier(code, data)


@admin_blp.delete("/tiers/<code>")
@admin_blp.response(200, TierOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*MARKETING)
def deactivate_tier(code):
    return tiers.update_tier(code, {"active": False})


@admin_blp.get("/members/<member_no>/tier-history")
@staff_required(*MARKETING)
@admin_blp.arguments(PageArgs, location="query")
@admin_blp.response(200, TierChangesPage)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def tier_changes(args, member_no):
    """The member's tier changes, newest first: from and to which tier, why (earned, review,
    merge, rules), when. A merged member's number names the member it joined."""
    member = member_by_no(member_no)
    return tier_history.changes(member.id, limit=args["limit"], cursor=args["cursor"])


def _percent(multiplier) -> int:
    return tiers.multiplier_percent(multiplier)


