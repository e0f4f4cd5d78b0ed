"""The console's mall: products and their stock (audited), redemptions, staff cancellation."""
from flask import g

from core.api import blueprint, documents
from core.auth import staff_required
from core.pagination import page_schema
from mall import cancellation, catalog, fulfilment, store_products
from mall.schemas import (AdminProductArgs, AdminProductOut, AdminRedemptionArgs,
                          AdminRedemptionOut, CancelIn, ProductFields, ProductIn, StockIn,
                          StockChangeOut, WrittenOffCouponArgs, WrittenOffCouponOut)
from stores.models import MARKETING, STORE_MANAGER

#: a store manager runs their stores' own products (gifts picked up there: mall.store_products)
PRODUCT_ROLES = (*MARKETING, STORE_MANAGER)

admin_blp = blueprint("mall_admin", __name__, prefix="/admin",
                      description="Points-mall products, stock and redemptions (HQ, marketers).")


@admin_blp.get("/products")
@admin_blp.arguments(AdminProductArgs, location="query")
@admin_blp.response(200, page_schema(AdminProductOut, "AdminProductPage"))
@documents(admin_blp, 401, 403, auth="staff")
@staff_required(*PRODUCT_ROLES)
def list_products(args):
    """HQ: every product; a store manager: their stores' own."""
    return store_products.list_products(g.staff, **args)


@admin_blp.post("/products")
@admin_blp.arguments(ProductIn)
@admin_blp.response(201, AdminProductOut)
@documents(admin_blp, 401, 403, 422, auth="staff")
@staff_required(*PRODUCT_ROLES)
def create_product(data):
    """A coupon product also needs `coupon{deduct_fen, min_spend_fen, valid_days}`. Audited.
    A store manager creates a gift of one of their stores (`store_codes`: that one), picked
    up there, when HQ's store policy allows store products (else 422 naming the limit)."""
    return store_products.create_product(data, g.staff)


@admin_blp.get("/products/<int:product_id>")
@admin_blp.response(200, AdminProductOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*PRODUCT_ROLES)
def get_product(product_id):
    return store_products.get_product(product_id, g.staff)


@admin_blp.patch("/products/<int:product_id>")
@admin_blp.arguments(ProductFields(partial=True))
@admin_blp.response(200, AdminProductOut)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
@staff_required(*PRODUCT_ROLES)
def update_product(data, product_id):
    """Change anything but the kind and the stock (POST …/stock); only what is sent, also
    inside `coupon`. Audited."""
    return store_products.update_product(product_id, data, g.staff)


@admin_blp.delete("/products/<int:product_id>")
@admin_blp.response(200, AdminProductOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*PRODUCT_ROLES)
def deactivate_product(product_id):
    """Take a product off the mall; redemptions already made stand."""
    return store_products.deactivate(product_id, g.staff)


@admin_blp.post("/products/<int:product_id>/stock")
@admin_blp.arguments(StockIn)
@admin_blp.response(200, AdminProductOut)
@documents(admin_blp, 401, 403, 404, 409, 422, auth="staff")
@staff_required(*PRODUCT_ROLES)
def adjust_stock(data, product_id):
    """Add units (or remove, with a negative delta, down to 0 left); audited with the reason."""
    return store_products.adjust_stock(product_id, data["delta"], data["reason"], g.staff)


@admin_blp.get("/products/<int:product_id>/stock")
@admin_blp.response(200, StockChangeOut(many=True))
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*PRODUCT_ROLES)
def stock_history(product_id):
    """The product's stock adjustments, newest first: who, when, by how much, why."""
    return catalog.stock_history(store_products.get_product(product_id, g.staff).id)


@admin_blp.get("/redemptions")
@admin_blp.arguments(AdminRedemptionArgs, location="query")
@admin_blp.response(200, page_schema(AdminRedemptionOut, "AdminRedemptionPage"))
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*MARKETING)
def list_redemptions(args):
    return fulfilment.redemptions_for_console(**args)


@admin_blp.post("/redemptions/<int:redemption_id>/cancel")
@admin_blp.arguments(CancelIn)
@admin_blp.response(200, AdminRedemptionOut)
@documents(admin_blp, 401, 403, 404, 409, auth="staff")
@staff_required(*MARKETING)
def cancel_redemption(data, redemption_id):
    """Cancel a gift not yet picked up, with a reason: points, stock and the member's limit
    return. Audited."""
    return cancellation.cancel_by_staff(redemption_id, data["reason"])


@admin_blp.get("/coupons")
@admin_blp.arguments(WrittenOffCouponArgs, location="query")
@admin_blp.response(200, page_schema(WrittenOffCouponOut, "WrittenOffCouponPage"))
@documents(admin_blp, 401, 403, 404, auth="staff")
@staff_required(*MARKETING)
def coupons_written_off(args):
    """Coupons written off at the tills, newest first."""
    return fulfilment.coupons_written_off(**args)
