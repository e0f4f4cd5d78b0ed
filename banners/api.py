"""GET /banners (public) and /admin/banners (marketers)."""
from flask import jsonify

from core.api import blueprint, documents
from core.auth import public
from core.crud import register_crud
from banners import service
from banners.schemas import AdminBannerOut, BannerArgs, BannerFields, BannerIn, BannersOut
from stores.models import MARKETING

public_blp = blueprint("banners", __name__, prefix="/banners",
                       description="The home page's banners and announcements.")
admin_blp = blueprint("banners_admin", __name__, prefix="/admin/banners",
                      description="Marketers manage banners: image, link, stores, window, order.")
MAX_AGE = 60


@public_blp.get("")
@public_blp.arguments(BannerArgs, location="query")
@public_blp.response(200, BannersOut)
@documents(public_blp, 404, 422)
@public
def showing(args):
    """The banners showing now, in order; with `store_code`, that store's and the chain's
    (404 for an unknown store)."""
    response = jsonify(BannersOut().dump({"items": service.showing(args.get("store_code"))}))
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


register_crud(admin_blp, "", service.BANNERS, out=AdminBannerOut, create_in=BannerIn,
              patch_in=BannerFields, roles=MARKETING,
              create_doc="`title`, `image_url` (an upload's url or https), optional `link_type` "
                         "product | task | page | none with `link_target`, `store_codes[]` "
                         "(empty: every store), `starts_at`, `ends_at`, `sort_order`.")
