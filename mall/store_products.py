"""A store's own products: gifts its manager puts on sale, picked up at that store only, if
HQ's store policy allows store products; through the same catalog and audit as HQ's. A
store's staff see and change only their stores' own products."""
from core.errors import Forbidden, NotFound, ValidationFailed
from mall import catalog
from mall.models import Product
from points.campaigns.policy import check_store_product
from stores import service as stores_service


def list_products(staff, **args):
    return catalog.list_products(**args, store_ids=None if staff.is_hq else [s.id for s in staff.stores])


def get_product(product_id: int, staff) -> Product:
    product = catalog.get_product(product_id)
    if not staff.is_hq and product.store_id not in {s.id for s in staff.stores}:
        raise NotFound(f"No product {product_id}.")
    return product


def create_product(data: dict, staff) -> Product:
    """HQ: any product. A store manager: a gift of one of their stores (422 if the store
    policy allows no store products, the limit in the details)."""
    if staff.is_hq:
        return catalog.create_product(data)
    if data.get("kind") != "gift":
        raise ValidationFailed(details={"kind": ["A store's own product is a gift picked up there."]})
    store = _own_store(staff, data.get("store_codes"))
    check_store_product(store.code)
    return catalog.create_product({**data, "store_codes": [store.code], "store_id": store.id})


def update_product(product_id: int, changes: dict, staff) -> Product:
    product = get_product(product_id, staff)
    if not staff.is_hq:
        if "store_codes" in changes:
            changes = {**changes, "store_codes": [_own_store(staff, changes["store_codes"]).code]}
        if changes.get("active"):
            check_store_product(product.store_codes[0])
    return catalog.update_product(product.id, changes)


def adjust_stock(product_id: int, delta: int, reason: str, staff) -> Product:
    return catalog.adjust_stock(get_product(product_id, staff).id, delta, reason)


def deactivate(product_id: int, staff) -> Product:
    return catalog.deactivate(get_product(product_id, staff).id)


def _own_store(staff, store_codes):
    if not store_codes or len(store_codes) != 1:
        raise ValidationFailed(details={"store_codes": ["Name exactly one of your stores."]})
    store = stores_service.get_store(store_codes[0])
    if not staff.may_act_for(store):
        raise Forbidden(f"You do not act for store {store.code}.")
    return store
