"""A promotion's cost preview replays the till: order by order, its extra points equal what the
till credits with the promotion saved and active minus what it credits without (hypothesis
over random earn rules, promotions and orders)."""
import itertools
import os
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from core import clock, config_cache
from core.db import db
from analytics import preview
from points.earning import orders as till_orders, promotions

EXAMPLES = 300 if os.environ.get("CI") else 60
PHASES = [Phase.explicit, Phase.generate] if os.environ.get("NO_SHRINK") else list(Phase)
MONDAY = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)  # 09:00 in Shanghai
CATEGORIES = ["tea", "cake", "toy"]
_numbers = itertools.count(1)

codes = st.lists(st.sampled_from(["PA", "PB"]), unique=True, max_size=2)
items = st.lists(st.fixed_dictionaries({
    "sku": st.just("x"), "quantity": st.just(1), "amount_fen": st.integers(1, 30000),
    "category": st.one_of(st.none(), st.sampled_from(CATEGORIES))}), max_size=3)
order = st.fixed_dictionaries({
    "store": st.sampled_from(["PA", "PB"]), "amount_fen": st.integers(1, 60000),
    "items": items, "minutes": st.integers(0, 7 * 24 * 60 - 1)})
rule = st.fixed_dictionaries({"category": st.sampled_from(CATEGORIES),
                              "multiplier_percent": st.integers(100, 400), "store_codes": codes})
promotion = st.one_of(
    st.fixed_dictionaries({"multiplier_percent": st.integers(101, 500)}),
    st.fixed_dictionaries({"bonus_points": st.integers(1, 999)}),
).flatmap(lambda kind: st.fixed_dictionaries({
    **{k: st.just(v) for k, v in kind.items()}, "store_codes": codes,
    "weekdays": st.lists(st.integers(1, 7), unique=True, max_size=3),
    "categories": st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=2),
    "min_amount_fen": st.integers(0, 40000)}))


def record(store, member, spec):
    data = {"order_no": f"P{next(_numbers):09d}", "member_no": member.member_no,
            "amount_fen": spec["amount_fen"], "items": spec["items"],
            "paid_at": MONDAY + timedelta(minutes=spec["minutes"])}
    order, _created = till_orders.record_order(store, data, source="pos")
    return order


def test_replayed_extra_points_equal_what_the_till_credits(factory, app):
    stores = {"PA": factory.store("PA"), "PB": factory.store("PB")}
    member = factory.member()
    clock.set(MONDAY + timedelta(days=8))
    seen = {"extra": 0, "none": 0}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=PHASES,
              suppress_health_check=list(HealthCheck))
    @given(rules=st.lists(rule, max_size=2), existing=st.lists(promotion, max_size=1),
           draft=promotion, specs=st.lists(order, min_size=1, max_size=6),
           as_rule=st.booleans())
    def check(rules, existing, draft, specs, as_rule):
        nested = db.session.begin_nested()
        try:
            for r in rules:
                promotions.save_rule(dict(r))
            for p in existing:
                promotions.save_promotion({**p, "name": "existing", "starts_at": MONDAY,
                                           "ends_at": MONDAY + timedelta(days=7)})
            config_cache.clear()
            before = [record(stores[s["store"]], member, s) for s in specs]
            kind = preview.EARN_RULE if as_rule else preview.PROMOTION
            data = ({"category": draft["categories"][0] if draft["categories"] else "tea",
                     "multiplier_percent": draft.get("multiplier_percent") or 300,
                     "store_codes": draft["store_codes"]} if as_rule else draft)
            replayed = {order_id: extra for order_id, *_rest, extra in
                        preview.replay(kind, data, date(2026, 3, 2), date(2026, 3, 9))}
            if as_rule:
                promotions.save_rule(data)
            else:
                promotions.save_promotion({**data, "name": "draft", "starts_at": MONDAY,
                                           "ends_at": MONDAY + timedelta(days=7)})
            config_cache.clear()
            after = [record(stores[s["store"]], member, s) for s in specs]
            assert [replayed.get(o.id, 0) for o in before] == \
                [a.points_earned - b.points_earned for b, a in zip(before, after)]
            for extra in replayed.values():
                seen["extra" if extra else "none"] += 1
        finally:
            nested.rollback()
            config_cache.clear()

    check()
    assert seen["extra"] and seen["none"]  # the draft both applied and did not
