"""Demo store campaigns: HQ's guardrails, SH001's approved campaign and one waiting for HQ."""
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from points.campaigns import policy, service
from points.earning.models import Promotion
from stores.models import Staff

DEMO_POLICY = {"max_multiplier_percent": 200, "max_bonus_points": 100, "approval_required": True,
               "store_products_allowed": True, "monthly_budget_points": 50000, "visit_points": 5,
               "overrides": {"BJ001": {"monthly_budget_points": 20000}}}


def seed_demo() -> list[str]:
    manager = db.session.scalars(select(Staff).filter_by(username="manager.sh")).first()
    admin = db.session.scalars(select(Staff).filter_by(username="admin")).first()
    if manager is None or admin is None:
        return []
    if db.session.scalars(select(Promotion).where(Promotion.store_id.is_not(None))).first() is None:
        policy.save_store_policy(DEMO_POLICY)
        now = clock.now()
        live = service.save_promotion({
            "name": "SH001 满100再送20分", "bonus_points": 20, "min_amount_fen": 10000,
            "store_codes": ["SH001"], "starts_at": now, "ends_at": now + timedelta(days=365)},
            None, manager)
        service.submit(live, manager)
        service.approve(live, admin)
        waiting = service.save_promotion({
            "name": "SH001 周末1.5倍积分", "multiplier_percent": 150, "weekdays": [6, 7],
            "store_codes": ["SH001"], "starts_at": now, "ends_at": now + timedelta(days=60)},
            None, manager)
        service.submit(waiting, manager)
    return ["Store campaigns: SH001's manager (manager.sh) runs 'spend ¥100, get 20 more' "
            "(approved, funded by SH001 from its 50,000-point monthly budget) and waits for HQ "
            "on a weekend ×1.5 (/admin/promotions/pending); HQ's guardrails at /admin/store-policy;",
            "  a visit (到店打卡) earns 5 points once a day per store: GET "
            "/api/v1/staff/stores/SH001/visit-code shows the code to scan (POST /api/v1/me/visits)."]
