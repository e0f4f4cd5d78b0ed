"""How many points an order earns, and why.

THE COMBINATION RULE (also in the API docs of POST /pos/orders):
1. Base: `earn.points_per_yuan` for every whole yuan of the order, rounded down.
2. Multipliers do not stack: each line of the order earns at the HIGHEST of its category's
   earn rule, the member's tier multiplier and any multiplier promotion that covers it (by
   store, time window, weekday, category, minimum amount). The part of the order not covered
   by items is a line without a category. The uplift over the base is listed per source.
3. Bonuses add: every bonus-points promotion that applies, and the first-order bonus.
Everything is integer arithmetic on fen and percent, each contribution rounded down.

Who pays: HQ, except a store campaign's contribution (`funded_by`: the store's code in the
breakdown part); what the store pays for an order is what its campaigns add over the same
order without them (store_funded_points).
"""
from dataclasses import dataclass, field

BASE_PERCENT = 100


@dataclass(frozen=True)
class Line:
    category: str | None
    amount_fen: int


@dataclass(frozen=True)
class Multiplier:
    source: str        # "category:tea", "tier:gold", "promotion:12"
    label: str
    percent: int
    categories: frozenset = field(default_factory=frozenset)  # empty = every line
    funder: str | None = None  # the code of the store paying (a store campaign); None = HQ

    def covers(self, line: Line) -> bool:
        return not self.categories or line.category in self.categories


@dataclass(frozen=True)
class Bonus:
    source: str
    label: str
    points: int
    min_amount_fen: int = 0
    categories: frozenset = field(default_factory=frozenset)
    funder: str | None = None


def order_lines(amount_fen: int, items: list[dict]) -> list[Line]:
    """The order as lines: its items (scaled down if they add up to more than was paid) and
    the uncovered rest."""
    listed = sum(i["amount_fen"] for i in items)
    lines = [Line(i.get("category"), i["amount_fen"] if listed <= amount_fen
                  else i["amount_fen"] * amount_fen // listed) for i in items]
    rest = amount_fen - sum(line.amount_fen for line in lines)
    return lines + ([Line(None, rest)] if rest > 0 else [])


def qualifying_fen(lines, categories) -> int:
    return sum(line.amount_fen for line in lines if not categories or line.category in categories)


def calculate(amount_fen: int, lines: list[Line], points_per_yuan: int,
              multipliers: list[Multiplier], bonuses: list[Bonus]) -> list[dict]:
    """The breakdown: [{kind, source, label, percent?, points}]; points = Σ points."""
    breakdown = [{"kind": "base", "source": "earn_rate",
                  "label": f"{points_per_yuan} point(s) per whole yuan",
                  "points": amount_fen // 100 * points_per_yuan}]
    uplift_fen_percent: dict[Multiplier, int] = {}
    for line in lines:
        best = max((m for m in multipliers if m.covers(line)), key=lambda m: m.percent,
                   default=None)
        if best is not None and best.percent > BASE_PERCENT:
            uplift_fen_percent[best] = uplift_fen_percent.get(best, 0) + \
                line.amount_fen * (best.percent - BASE_PERCENT)
    for m, fen_percent in uplift_fen_percent.items():
        points = fen_percent // 100 // 100 * points_per_yuan
        if points:
            breakdown.append(_funded({"kind": "multiplier", "source": m.source, "label": m.label,
                                      "percent": m.percent, "points": points}, m.funder))
    for b in bonuses:
        if qualifying_fen(lines, b.categories) >= b.min_amount_fen and b.points > 0:
            breakdown.append(_funded({"kind": "bonus", "source": b.source, "label": b.label,
                                      "points": b.points}, b.funder))
    return breakdown


def _funded(part, funder):
    if funder is not None:
        part["funded_by"] = funder
    return part


def store_funded_points(amount_fen, lines, points_per_yuan, multipliers, bonuses) -> tuple[list, list, int]:
    """(the breakdown, the breakdown without store campaigns, the points store campaigns add:
    the first's total less the second's). Computed twice only when a store campaign applies."""
    breakdown = calculate(amount_fen, lines, points_per_yuan, multipliers, bonuses)
    if all(r.funder is None for r in (*multipliers, *bonuses)):
        return breakdown, breakdown, 0
    hq_only = calculate(amount_fen, lines, points_per_yuan,
                        [m for m in multipliers if m.funder is None],
                        [b for b in bonuses if b.funder is None])
    return breakdown, hq_only, max(total(breakdown) - total(hq_only), 0)


def total(breakdown: list[dict]) -> int:
    return sum(part["points"] for part in breakdown)
