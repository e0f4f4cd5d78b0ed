"""Mall fixtures: products written through the catalog service, redemption helpers."""
import uuid

import pytest

from core.db import db
from mall import catalog


@pytest.fixture
def product(app):
    """product(kind="gift", points_price=100, stock=10, ...) → a committed Product."""

    def make(kind="gift", **fields):
        data = {"title": f"{kind} {uuid.uuid4().hex[:6]}", "kind": kind, "points_price": 100,
                "stock": 10, **fields}
        if kind == "coupon":
            data.setdefault("coupon", {"deduct_fen": 1000, "min_spend_fen": 5000,
                                       "valid_days": 7})
        made = catalog.create_product(data)
        db.session.commit()
        return made

    return make


def redeem(client, product_id, quantity=1, key=None, **extra):
    """POST /mall/redemptions with a fresh (or the given) Idempotency-Key."""
    body = {"product_id": product_id, "quantity": quantity, **extra}
    return client.post("/mall/redemptions", body,
                       headers={"Idempotency-Key": key or uuid.uuid4().hex})
