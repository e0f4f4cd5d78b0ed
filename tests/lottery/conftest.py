"""Lottery fixtures: lotteries written through the catalog service, drawing helpers."""
import uuid
from datetime import timedelta

import pytest

from core import clock
from core.db import db
from lottery import catalog
from tests.mall.conftest import product  # noqa: F401  (a fixture: prizes are mall products)


@pytest.fixture
def lottery(app):
    """lottery(prizes=[...], cost_points=10, ...) → a committed, running Lottery; by default a
    points prize (weight 1) and 谢谢参与 (weight 3), both unlimited."""

    def make(prizes=None, **fields):
        now = clock.now()
        data = {"name": f"lottery {uuid.uuid4().hex[:6]}", "cost_points": 10,
                "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=3),
                "daily_limit": None, "total_limit": None, "store_codes": [],
                "prizes": prizes or [points_prize(), none_prize()], **fields}
        made = catalog.create_lottery(data)
        db.session.commit()
        return made

    return make


def points_prize(points=50, weight=1, stock=None, **extra):
    return {"name": f"{points} 积分", "kind": "points", "points": points, "weight": weight,
            "stock": stock, **extra}


def none_prize(weight=3):
    return {"name": "谢谢参与", "kind": "none", "weight": weight, "stock": None}


def product_prize(product, weight=1, stock=None, **extra):
    return {"name": product.title, "kind": product.kind, "product_id": product.id,
            "weight": weight, "stock": stock, **extra}


def draw(client, lottery_id, key=None, **body):
    """POST /lotteries/{id}/draws with a fresh (or the given) Idempotency-Key."""
    return client.post(f"/lotteries/{lottery_id}/draws", body or None,
                       headers={"Idempotency-Key": key or uuid.uuid4().hex})
