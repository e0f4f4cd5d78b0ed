"""Banners: marketers' CRUD (audited; links and stores checked), and what a store's home page
shows now (cached per process: core.config_cache)."""
from sqlalchemy import select

from core import audit, clock, config_cache
from core.crud import Crud
from core.db import db
from core.errors import NotFound, ValidationFailed
from mall import catalog
from stores import service as stores_service
from tasks import service as tasks_service
from banners.models import Banner

FIELDS = ("title", "image_url", "link_type", "link_target", "store_codes", "starts_at",
          "ends_at", "sort_order", "active")


def list_banners() -> list[Banner]:
    return list(db.session.scalars(select(Banner).order_by(Banner.sort_order, Banner.id)))


def get_banner(banner_id: int) -> Banner:
    banner = db.session.get(Banner, banner_id)
    if banner is None:
        raise NotFound(f"No banner {banner_id}.")
    return banner


def save_banner(data: dict, banner: Banner | None = None) -> Banner:
    """Create or change a banner (only the fields sent); 422 naming an unknown product, task
    or store, a page that is not a mini-program path, or a window ending before it starts."""
    before = audit.snapshot(banner, FIELDS) if banner else None
    if "store_codes" in data:
        data["store_codes"] = [s.code for s in stores_service.stores_by_codes(data["store_codes"])]
    now = clock.now()
    if banner is None:
        banner = Banner(store_codes=[], link_type="none", sort_order=0, active=True,
                        created_at=now)
    for name, value in data.items():
        setattr(banner, name, value)
    banner.updated_at = now
    with db.session.no_autoflush:  # checked before it is written
        _check(banner)
    db.session.add(banner)
    db.session.flush()
    audit.record("banner.save", "banner", banner.id, before=before,
                 after=audit.snapshot(banner, FIELDS))
    return banner


def _check(banner: Banner) -> None:
    problems = {}
    if banner.starts_at and banner.ends_at and banner.ends_at <= banner.starts_at:
        problems["ends_at"] = ["Must be after starts_at."]
    target, kind = banner.link_target, banner.link_type
    if kind == "none" and target:
        problems["link_target"] = ["A banner without a link has no target."]
    elif kind in ("product", "task") and not _exists(kind, target):
        problems["link_target"] = [f"No {kind} {target}."]
    elif kind == "page" and not (target or "").startswith("pages/"):
        problems["link_target"] = ["A mini-program page path, e.g. pages/mall/index."]
    if problems:
        raise ValidationFailed(details=problems)


def _exists(kind: str, target: str | None) -> bool:
    if not (target or "").isdigit():
        return False
    try:
        (catalog.get_product if kind == "product" else tasks_service.get_task)(int(target))
    except NotFound:
        return False
    return True


BANNERS = Crud("banner", "banner", list_banners, get_banner, save_banner)

SHOWN = ("id", "title", "image_url", "link_type", "link_target", "store_codes", "starts_at",
         "ends_at", "sort_order")


def showing(store_code: str | None = None) -> list:
    """The banners showing now (at a store: those for every store and those for it), in
    order; 404 for an unknown store."""
    if store_code:
        stores_service.get_store(store_code)
    now = clock.now()
    banners = config_cache.cached_rows(
        "banners", lambda: select(Banner).where(Banner.active.is_(True))
        .order_by(Banner.sort_order, Banner.id), SHOWN)
    return [b for b in banners
            if (b.starts_at is None or b.starts_at <= now) and (b.ends_at is None or now < b.ends_at)
            and (not b.store_codes or store_code in b.store_codes)]
