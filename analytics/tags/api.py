"""Tags (rule and manual) and automations, for HQ and marketers."""
from flask import g

from core.api import blueprint, documents
from core.auth import staff_required
from core.crud import Crud, register_crud
from analytics.tags import automations, results, service
from analytics.tags.schemas import (AddedOut, AutomationIn, AutomationOut, AutomationPatch,
                                    CountOut, MemberNosIn, ResultsOut, RuleIn, TagChanges, TagIn,
                                    TagOut, TagPatch)
from stores.models import MARKETING

admin_blp = blueprint("analytics_tags", __name__, prefix="/admin",
                      description="Tags that act: rule and manual tags, automations with holdouts.")

TAGS = Crud("tag", "tag", service.list_tags, service.get_tag, service.save_tag)
register_crud(admin_blp, "/tags", TAGS, out=TagOut, create_in=TagIn, patch_in=TagPatch,
              roles=MARKETING, create_doc="Rule tags are recomputed nightly; manual tags are "
                                          "changed by POST/DELETE …/members.")


@admin_blp.post("/tags/count")
@staff_required(*MARKETING)
@admin_blp.arguments(RuleIn)
@admin_blp.response(200, CountOut)
@documents(admin_blp, 401, 403, 422, auth="staff")
def count_rule(data):
    """How many members a draft rule matches now (the tag builder's live count)."""
    return {"members": service.count_matching(data["rule"])}


@admin_blp.post("/tags/<int:tag_id>/members")
@staff_required(*MARKETING)
@admin_blp.arguments(MemberNosIn)
@admin_blp.response(200, AddedOut)
@documents(admin_blp, 401, 403, 404, 409, 422, auth="staff")
def add_tag_members(data, tag_id):
    """Put members in a manual tag (409 for a rule tag); those already in it are skipped."""
    return {"added": service.add_members(tag_id, data["member_nos"], g.staff)}


@admin_blp.delete("/tags/<int:tag_id>/members/<member_no>")
@staff_required(*MARKETING)
@admin_blp.response(204)
@documents(admin_blp, 401, 403, 404, 409, auth="staff")
def remove_tag_member(tag_id, member_no):
    service.remove_member(tag_id, member_no, g.staff)


@admin_blp.get("/tags/<int:tag_id>/changes")
@staff_required(*MARKETING)
@admin_blp.response(200, TagChanges)
@documents(admin_blp, 401, 403, 404, auth="staff")
def tag_changes(tag_id):
    """The latest 100 members entering or leaving the tag, newest first."""
    service.get_tag(tag_id)
    return {"items": service.history(tag_id)}


@admin_blp.get("/automations")
@staff_required(*MARKETING)
@admin_blp.response(200, AutomationOut(many=True))
@documents(admin_blp, 401, 403, auth="staff")
def list_automations():
    return automations.list_automations()


@admin_blp.post("/automations")
@staff_required(*MARKETING)
@admin_blp.arguments(AutomationIn)
@admin_blp.response(201, AutomationOut)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def create_automation(data):
    """When a member enters the tag: credit `points` once, within `budget` points; a stable
    `holdout_percent` (default 10) of entrants is held out and gets nothing."""
    return automations.save_automation(data)


@admin_blp.get("/automations/<int:automation_id>")
@staff_required(*MARKETING)
@admin_blp.response(200, AutomationOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
def get_automation(automation_id):
    return automations.get_automation(automation_id)


@admin_blp.patch("/automations/<int:automation_id>")
@staff_required(*MARKETING)
@admin_blp.arguments(AutomationPatch(partial=True))
@admin_blp.response(200, AutomationOut)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def update_automation(data, automation_id):
    """Change the budget or points, or pause (`status` paused) and resume it."""
    return automations.save_automation(data, automations.get_automation(automation_id))


@admin_blp.get("/automations/<int:automation_id>/results")
@staff_required(*MARKETING)
@admin_blp.response(200, ResultsOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
def automation_results(automation_id):
    """Treated vs held-out members: reordered within 7/30 days, spend per member, the lift
    with a 95% confidence interval; overall and per segment."""
    return results.results(automation_id)
