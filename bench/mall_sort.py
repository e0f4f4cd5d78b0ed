"""Mall list benchmark on MariaDB: GET /mall/products in each `sort`, next to today's `newest`
order measured in the same run on the same products.

    .venv/bin/python bench/mall_sort.py [--products 5000] [--pages 50] [--rounds 3]

Builds its own database (migrations, jifen_bench_<random>, dropped at the end), writes
`--products` active products (prices 10..5,000 points in steps of 10, so ties are the rule;
stock redeemed 0..50 units each, so `popular` has ties too), then, one request at a time through
the app's own test client as a member of the demo seed, follows `next_cursor` for `--pages`
pages of 20 in each order, after a few pages of each to warm up. Rounds alternate which order
goes first (the machine is shared and its speed drifts). Prints each order's median ms per page and its ratio over `newest` (the
median of the rounds' ratios), and checks each walk neither repeats nor skips a product.
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources  # noqa: E402

SORTS = ("newest", "points_asc", "points_desc", "popular")


def build(app, products):
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from core import clock
    from core.auth import issue_member_token
    from core.cli import seed_demo_data
    from core.db import db
    from mall.models import Product
    from members.demo import demo_member

    rng = random.Random(24)
    with app.app_context():
        upgrade()
        seed_demo_data()
        now = clock.now()
        for first in range(0, products, 1000):
            rows = []
            for i in range(first, min(first + 1000, products)):
                taken = rng.randint(0, 50)
                rows.append({"title": f"bench {i}", "kind": "gift",
                             "points_price": 10 * rng.randint(1, 500), "cash_price_fen": 0,
                             "stock_total": 100, "stock_left": 100 - taken,
                             "per_member_limit": 0, "pickup_days": 30, "active": True,
                             "image_urls": [], "created_at": now, "updated_at": now})
            db.session.execute(insert(Product), rows)
            db.session.commit()
        member = demo_member()
        return issue_member_token(member.id, member.token_version)


def walk(client, token, sort, pages):
    """ms per page, and the ids seen, following next_cursor for `pages` pages."""
    headers, cursor, ids, times = {"Authorization": f"Bearer {token}"}, None, [], []
    for _ in range(pages):
        url = f"/api/v1/mall/products?limit=20&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        ids += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    return times, ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    res = Resources()
    res.create()
    try:
        os.environ.update({"DATABASE_URL": res.database_url, "REDIS_URL": res.redis_url,
                           "SECRET_KEY": "bench-mall-sort-secret", "LOG_LEVEL": "WARNING"})
        from app import create_app

        app = create_app()
        token = build(app, args.products)
        client = app.test_client()
        for sort in SORTS:  # warm up: caches, connections, MariaDB's buffer pool
            walk(client, token, sort, 5)
        medians = {sort: [] for sort in SORTS}
        for round_no in range(args.rounds):
            order = SORTS if round_no % 2 == 0 else tuple(reversed(SORTS))
            for sort in order:
                times, ids = walk(client, token, sort, args.pages)
                assert len(ids) == len(set(ids)) == min(args.pages * 20, args.products), sort
                medians[sort].append(statistics.median(times))
        print(f"{args.products:,} products, {args.pages} pages of 20, {args.rounds} rounds")
        for sort in SORTS:
            ratios = [m / base for m, base in zip(medians[sort], medians["newest"])]
            print(f"{sort:<12} {statistics.median(medians[sort]):6.2f} ms/page   "
                  f"ratio over newest {statistics.median(ratios):.2f} "
                  f"(rounds {', '.join(f'{r:.2f}' for r in ratios)})")
    finally:
        res.drop()


if __name__ == "__main__":
    main()
