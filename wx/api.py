"""Admin: the subscribe-message templates each purpose sends (hq_admin, marketer; audited)."""
from core.api import blueprint, documents
from core.auth import staff_required
from wx import templates
from wx.schemas import (SubscribeTemplateIn, SubscribeTemplateOut, SubscribeTemplatePatch,
                        TemplateListArgs)
from stores.models import MARKETING

blp = blueprint("subscribe_templates", __name__, prefix="/admin/subscribe-templates",
                description="WeChat subscribe-message templates: which template a purpose "
                            "(points_expiring) sends and what fills each data key.")


def _renamed(data: dict) -> dict:
    if "fields_" in data:
        data["fields"] = data.pop("fields_")
    return data


@blp.get("")
@blp.arguments(TemplateListArgs, location="query")
@blp.response(200, SubscribeTemplateOut(many=True))
@documents(blp, 401, 403, auth="staff")
@staff_required(*MARKETING)
def list_templates(args):
    return templates.list_templates(args.get("purpose"))


@blp.post("")
@blp.arguments(SubscribeTemplateIn)
@blp.response(201, SubscribeTemplateOut)
@documents(blp, 401, 403, 409, 422, 502, 503, auth="staff")
@staff_required(*MARKETING)
def create_template(data):
    """One active template per purpose (409 otherwise). Keys are checked against what each
    WeChat type can show (a `tip` needs a thing key, a `points` a number or thing key), and
    against the WeChat account's own templates: the template id must be one of them and the
    keys exactly its keys (422 naming the id or each key; 503 if WeChat cannot be asked)."""
    return templates.create_template(_renamed(data))


@blp.get("/<int:template_pk>")
@blp.response(200, SubscribeTemplateOut)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*MARKETING)
def get_template(template_pk):
    return templates.get_template(template_pk)


@blp.patch("/<int:template_pk>")
@blp.arguments(SubscribeTemplatePatch)
@blp.response(200, SubscribeTemplateOut)
@documents(blp, 401, 403, 404, 409, 422, 502, 503, auth="staff")
@staff_required(*MARKETING)
def update_template(data, template_pk):
    """A new template id or keys, or reactivating, is checked against the WeChat account as
    on creation."""
    return templates.update_template(template_pk, _renamed(data))


@blp.delete("/<int:template_pk>")
@blp.response(200, SubscribeTemplateOut)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*MARKETING)
def deactivate_template(template_pk):
    return templates.update_template(template_pk, {"active": False})
