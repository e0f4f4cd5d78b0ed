"""Store campaigns for the tests: written as the services would leave them."""
from datetime import timedelta

from core import clock
from core.db import db
from points.earning.models import Promotion
from points.programme.settings import update_settings


def store_campaign(store, *, status="approved", bonus_points=None, multiplier_percent=None,
                   days=30, **more):
    """A store's own campaign, approved unless said otherwise, running from an hour ago."""
    now = clock.now()
    promotion = Promotion(name=f"{store.code} campaign", store_id=store.id, status=status,
                          store_codes=[store.code], bonus_points=bonus_points,
                          multiplier_percent=multiplier_percent,
                          starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=days),
                          weekdays=[], categories=[], min_amount_fen=0, active=True,
                          created_at=now, **more)
    db.session.add(promotion)
    db.session.commit()
    return promotion


def store_budget(points, **overrides):
    """Every store's monthly budget (overrides: {store_code: {field: value}})."""
    update_settings({"store_policy": {"monthly_budget_points": points,
                                      "overrides": overrides or None}})
    db.session.commit()
