"""GET /tiers: the tiers page (会员等级), public."""
from flask import jsonify

from core.api import blueprint
from core.auth import public
from points.programme import tiers
from points.programme.schemas import PublicTiersOut

public_blp = blueprint("tiers_public", __name__, prefix="/tiers",
                       description="Tiers with their thresholds, multipliers and benefits.")
MAX_AGE = 300


@public_blp.get("")
@public_blp.response(200, PublicTiersOut)
@public
def list_tiers():
    """Active tiers, lowest threshold first. A member's own tier, progress and review date
    are on GET /me/points."""
    response = jsonify(PublicTiersOut().dump({"items": tiers.active_tiers()}))
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
