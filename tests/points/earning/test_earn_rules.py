"""The combination rule, table-driven, on the pure calculator."""
import pytest

from points.earning.earn_rules import Bonus, Line, Multiplier, calculate, order_lines, total

TEA = Multiplier("category:tea", "tea ×2", 200, frozenset(["tea"]))
GOLD = Multiplier("tier:gold", "gold ×1.5", 150)
WEDNESDAY = Multiplier("promotion:1", "double Wednesday", 200)
TRIPLE_CAKE = Multiplier("promotion:2", "cake ×3", 300, frozenset(["cake"]))
SPEND_500 = Bonus("promotion:3", "spend 500 get 500", 500, min_amount_fen=50000)
FIRST = Bonus("first_order", "first order bonus", 50)


@pytest.mark.parametrize("amount, items, rate, multipliers, bonuses, expected", [
    # base: one point per whole yuan, rounded down
    (1999, [], 1, [], [], 19),
    (99, [], 1, [], [], 0),
    (10000, [], 3, [], [], 300),
    # a category multiplier covers only its lines
    (3000, [{"category": "tea", "amount_fen": 2000}], 1, [TEA], [], 30 + 20),
    # tier covers every line; the highest multiplier wins per line, they do not stack
    (3000, [{"category": "tea", "amount_fen": 2000}], 1, [TEA, GOLD], [], 30 + 20 + 5),
    (4000, [{"category": "cake", "amount_fen": 4000}], 1, [GOLD, WEDNESDAY, TRIPLE_CAKE], [],
     40 + 80),
    # bonuses add, above their threshold only
    (50000, [], 1, [], [SPEND_500], 500 + 500),
    (49999, [], 1, [], [SPEND_500], 499),
    (1000, [], 1, [WEDNESDAY], [FIRST], 10 + 10 + 50),
    # uplift rounds down too: ¥1.99 ×1.5 → 1 + 0
    (199, [], 1, [GOLD], [], 1),
])
def test_combination(amount, items, rate, multipliers, bonuses, expected):
    breakdown = calculate(amount, order_lines(amount, items), rate, multipliers, bonuses)
    assert total(breakdown) == expected
    assert all(isinstance(part["points"], int) and part["points"] > 0 or part["kind"] == "base"
               for part in breakdown)


def test_the_breakdown_names_each_contribution():
    breakdown = calculate(3000, order_lines(3000, [{"category": "tea", "amount_fen": 2000}]), 1,
                          [TEA, GOLD], [FIRST])
    assert [(p["kind"], p["source"], p["points"]) for p in breakdown] == [
        ("base", "earn_rate", 30), ("multiplier", "category:tea", 20),
        ("multiplier", "tier:gold", 5), ("bonus", "first_order", 50)]


def test_items_adding_up_to_more_than_was_paid_are_scaled_down():
    lines = order_lines(1000, [{"category": "tea", "amount_fen": 1500},
                               {"category": "cake", "amount_fen": 500}])
    assert lines == [Line("tea", 750), Line("cake", 250)]
