"""The points mall for marketers and HQ: products (every field the API takes, images uploaded
through the media service), stock with a reason and its history, redemptions (filter, cancel
with a reason) and the coupons written off. The rules are the API's: the same schemas check
what is typed, the same services write it."""
from flask import flash, g, request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from console import session as console_session
from console.blueprint import bp
from console.mall_forms import (CancelForm, CouponFilterForm, ProductFilterForm, ProductForm,
                                RedemptionFilterForm, StockForm)
from console.money import fen_to_yuan
from console.messages import STATUSES
from console.views import InvalidInput, go, load, refusal, render as render_page
from console.views.uploads import accepts_uploads, upload_images
from core import clock
from core.errors import AppError
from mall import cancellation, catalog, fulfilment, store_products
from mall.schemas import CancelIn, ProductFields, ProductIn, StockIn
from points.programme import tiers
from stores.models import MARKETING

PRODUCT_IN, PRODUCT_CHANGES = ProductIn(), ProductFields(partial=True)
STOCK_IN, CANCEL_IN = StockIn(), CancelIn()
PAGE = 50
KINDS = {"gift": _l("Gift"), "coupon": _l("Coupon"), "virtual": _l("Virtual")}


@bp.get("/mall/products")
@console_session.staff_page(*MARKETING, store=False)
def mall_products():
    filters = ProductFilterForm(request.args)
    chosen = {"kind": filters.kind.data or None, "category": (filters.category.data or "").strip()
              or None, "active": {"1": True, "0": False}.get(filters.active.data)}
    page = store_products.list_products(g.staff, limit=PAGE, cursor=request.args.get("cursor"),
                                        **{k: v for k, v in chosen.items() if v is not None})
    return render("mall/products.html", page=page, filters=filters)


@bp.route("/mall/products/new", methods=["GET", "POST"])
@console_session.staff_page(*MARKETING, store=False)
@accepts_uploads("product")
def new_product():
    form = _with_choices(ProductForm())
    if request.method == "GET" or not form.validate():
        return render("mall/product.html", 422 if form.errors else 200, form=form, product=None)
    try:
        data = load(PRODUCT_IN, {**form.payload(clock.business_tz(), new=True),
                                 "image_urls": _images(form, [])})
        product = store_products.create_product(data, g.staff)
    except AppError as exc:
        return render("mall/product.html", exc.status, form=form, product=None,
                      refused=refusal(exc, "product"))
    flash(_("Product %(title)s is in the mall.", title=product.title), "success")
    return go("console.mall_product", product_id=product.id)


@bp.route("/mall/products/<int:product_id>", methods=["GET", "POST"])
@console_session.staff_page(*MARKETING, store=False)
@accepts_uploads("product")
def mall_product(product_id):
    product = store_products.get_product(product_id, g.staff)
    form = _with_choices(ProductForm() if request.method == "POST"
                         else ProductForm(data=_form_data(product)), product)
    form.kind.data = product.kind  # a product's kind does not change
    if request.method == "GET" or not form.validate():
        return _editor(product, form, 422 if form.errors else 200)
    try:
        kept = [u for u in product.image_urls if u in (form.keep_images.data or [])]
        data = load(PRODUCT_CHANGES, {**form.payload(clock.business_tz(), new=False),
                                      "image_urls": _images(form, kept)})
        store_products.update_product(product_id, data, g.staff)
    except AppError as exc:
        return _editor(product, form, exc.status, refused=refusal(exc, "product"))
    flash(_("Product saved."), "success")
    return go("console.mall_product", product_id=product_id)


@bp.post("/mall/products/<int:product_id>/stock")
@console_session.staff_page(*MARKETING, store=False)
def mall_product_stock(product_id):
    product = store_products.get_product(product_id, g.staff)
    form = StockForm()
    editor = _with_choices(ProductForm(formdata=None, data=_form_data(product)), product)
    if not form.validate():
        return _editor(product, editor, 422, stock_form=form)
    try:
        data = load(STOCK_IN, {"delta": form.delta.data, "reason": form.reason.data.strip()})
        product = store_products.adjust_stock(product_id, data["delta"], data["reason"], g.staff)
    except AppError as exc:
        return _editor(product, editor, exc.status, stock_form=form,
                       stock_refused=refusal(exc, "stock"))
    flash(_("Stock changed: %(left)s left.", left=product.stock_left), "success")
    return go("console.mall_product", product_id=product_id)


@bp.get("/mall/redemptions")
@console_session.staff_page(*MARKETING, store=False)
def mall_redemptions():
    return _listing("mall/redemptions.html", fulfilment.redemptions_for_console,
                    RedemptionFilterForm(request.args), cancel_form=CancelForm(formdata=None))


@bp.post("/mall/redemptions/<int:redemption_id>/cancel")
@console_session.staff_page(*MARKETING, store=False)
def cancel_redemption(redemption_id):
    form = CancelForm()
    redemption = fulfilment.get_redemption(redemption_id)
    try:
        if not form.validate():
            raise InvalidInput({"reason": [str(e) for e in form.reason.errors]})
        data = load(CANCEL_IN, {"reason": form.reason.data.strip()})
        redemption = cancellation.cancel_by_staff(redemption_id, data["reason"])
    except AppError as exc:
        page = {"items": [redemption], "next_cursor": None}
        return render("mall/redemptions.html", exc.status, filters=RedemptionFilterForm(),
                      page=page, cancel_form=form, cancelling=redemption_id,
                      refused=refusal(exc, "cancel"))
    flash(_("Redemption %(id)s cancelled: %(points)s points and %(units)s unit(s) of stock "
            "returned.", id=redemption.id, points=redemption.points,
            units=redemption.quantity), "success")
    return go("console.mall_redemptions", **request.args)


@bp.get("/mall/coupons")
@console_session.staff_page(*MARKETING, store=False)
def mall_coupons():
    return _listing("mall/coupons.html", fulfilment.coupons_written_off,
                    CouponFilterForm(request.args))


def _listing(template, lister, filters, **context):
    """A filtered page of `lister`'s rows; an unknown member number or store is said so."""
    try:
        page = lister(PAGE, request.args.get("cursor"), **filters.chosen())
    except AppError as exc:
        return render(template, exc.status, filters=filters, page=_empty(),
                      refused=refusal(exc, "filter"), **context)
    return render(template, filters=filters, page=page, **context)


def render(template, status=200, **context):
    return render_page(template, status, kind_name=kind_name, status_name=status_name, **context)


def kind_name(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def status_name(status: str) -> str:
    return str(STATUSES.get(status, status))


def _empty() -> dict:
    return {"items": [], "next_cursor": None}


def _editor(product, form, status, **context):
    return render("mall/product.html", status, form=form, product=product,
                  stock_form=context.pop("stock_form", None) or StockForm(formdata=None),
                  history=catalog.stock_history(product.id), **context)


def _images(form, kept: list[str]) -> list[str]:
    """The product's image URLs: those kept, then the files uploaded now (422 naming each
    file refused: too large or not a picture; the request then writes nothing)."""
    return kept + upload_images(form.images.data, "product", g.staff, field="images")


def _with_choices(form, product=None):
    form.tier_required.choices = [SelectChoice("", _("Everyone"))] + [
        SelectChoice(t.code, f"{t.name} ({t.code})") for t in tiers.list_tiers()]
    urls = product.image_urls if product else []
    form.keep_images.choices = [SelectChoice(u, u) for u in urls]
    return form


def _form_data(product) -> dict:
    zone = clock.business_tz()

    def local(moment):
        return moment.astimezone(zone).replace(tzinfo=None) if moment else None

    return {"title": product.title, "description": product.description, "kind": product.kind,
            "category": product.category, "points_price": product.points_price,
            "cash_price": str(fen_to_yuan(product.cash_price_fen)) if product.cash_price_fen
            else "", "per_member_limit": product.per_member_limit,
            "tier_required": product.tier_required or "",
            "store_codes": ", ".join(product.store_codes),
            "starts_at": local(product.starts_at), "ends_at": local(product.ends_at),
            "pickup_days": product.pickup_days,
            "coupon_deduct": _yuan(product.coupon_deduct_fen),
            "coupon_min_spend": _yuan(product.coupon_min_spend_fen),
            "coupon_valid_days": product.coupon_valid_days,
            "keep_images": list(product.image_urls), "active": product.active}


def _yuan(fen):
    return str(fen_to_yuan(fen)) if fen else ""
