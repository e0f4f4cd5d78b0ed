"""The segments: the classic eight-way split by high/low R, F, M, plus 新客户 and 未消费.

A score of 3 or more is high. 新客户 (first order within `new_member_days` of the as-of date)
comes before the eight; 未消费 is a registered member who never bought (chain only)."""
from dataclasses import dataclass

HIGH_SCORE = 3
NEW, NO_PURCHASE = "new", "no_purchase"


@dataclass(frozen=True)
class Segment:
    code: str
    name_zh: str
    name_en: str
    #: (R high, F high, M high), None for new / no purchase
    highs: tuple | None


SEGMENTS = (
    Segment("important_value", "重要价值客户", "Champions (important value)", (True, True, True)),
    Segment("important_develop", "重要发展客户", "Important to develop", (True, False, True)),
    Segment("important_keep", "重要保持客户", "Important to keep", (False, True, True)),
    Segment("important_retain", "重要挽留客户", "Important to win back", (False, False, True)),
    Segment("general_value", "一般价值客户", "Loyal, low spend (general value)", (True, True, False)),
    Segment("general_develop", "一般发展客户", "Recent, low spend (general develop)",
            (True, False, False)),
    Segment("general_keep", "一般保持客户", "Fading, low spend (general keep)", (False, True, False)),
    Segment("general_retain", "一般挽留客户", "Lost, low spend (general retain)", (False, False, False)),
    Segment(NEW, "新客户", "New customers", None),
    Segment(NO_PURCHASE, "未消费", "Never bought", None),
)
BY_CODE = {s.code: s for s in SEGMENTS}
CODES = tuple(s.code for s in SEGMENTS)


def classify(r: int, f: int, m: int) -> str:
    """The eight-way segment of these scores (the SQL in analytics.scoring does the same)."""
    highs = (r >= HIGH_SCORE, f >= HIGH_SCORE, m >= HIGH_SCORE)
    return next(s.code for s in SEGMENTS if s.highs == highs)
