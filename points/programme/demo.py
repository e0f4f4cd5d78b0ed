"""The programme's demo: settings and two tiers."""
from core.db import db
from points.programme import tiers
from points.programme.models import ProgrammeSetting
from points.programme.settings import update_settings

DEMO_TIERS = [("silver", "银卡", 1000, 120), ("gold", "金卡", 5000, 150)]
#: what the tiers page shows (GET /tiers)
DEMO_BENEFITS = {"silver": "消费积分 1.2 倍\n生日当月积分有效期延长",
                 "gold": "消费积分 1.5 倍\n生日礼一份\n专属客服"}


def seed_demo() -> list[str]:
    """Demo programme: points expire at the end of the following calendar year, 100 points =
    1 yuan off (up to 20% of an order), two tiers."""
    if db.session.get(ProgrammeSetting, "expiry") is None:
        update_settings({"expiry": {"mode": "year_end", "years": 1},
                         "deduction": {"points_per_yuan": 100, "max_ratio_percent": 20},
                         "registration_bonus": 100, "point_value_fen": 1})
    for code, name, threshold, percent in DEMO_TIERS:
        if tiers.tier_by_code(code) is None:
            tiers.create_tier(code, name, threshold, percent, benefits=DEMO_BENEFITS[code])
        elif tiers.tier_by_code(code).benefits is None:
            tiers.update_tier(code, {"benefits": DEMO_BENEFITS[code]})
    return ["Demo programme: 1 point per yuan, expiring at the end of the following calendar "
            "year (year_end, years 1); tiers silver (1,000) and gold (5,000)."]
