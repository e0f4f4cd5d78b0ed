"""GET /stores: the public store list (no token: the mini-program shows it before login)."""
from flask import jsonify

from core.api import blueprint
from core.auth import public
from stores import public as listing
from stores.schemas import PublicStoreArgs, PublicStoresOut

public_blp = blueprint("stores_public", __name__, prefix="/stores",
                       description="Stores with address, GCJ-02 coordinates, hours, phone.")
#: browsers, WeChat and nginx may keep the list this long
MAX_AGE = 300


@public_blp.get("")
@public_blp.arguments(PublicStoreArgs, location="query")
@public_blp.response(200, PublicStoresOut)
@public
def list_stores(args):
    """Active stores, by code. `latitude`/`longitude` are GCJ-02 (what WeChat's map uses):
    compute the distance on the phone."""
    response = jsonify(PublicStoresOut().dump({"items": listing.public_stores(**args)}))
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
