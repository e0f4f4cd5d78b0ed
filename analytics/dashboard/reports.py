"""The report tables the console exports (CSV, XLSX): each a list of sheets, a sheet a title,
column names and rows. The settlement and the liability are the earning and analytics services'
own; the rest read the rollup, or one range of a source table by its index (through
analytics.dashboard.sources' session)."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from core import clock
from analytics import liability as liabilities
from analytics.dashboard import sources
from analytics.dashboard.models import DashboardStoreDay
from mall.models import Redemption
from points.earning import settlement as settlements
from stores.models import Store
from tasks.models import CheckIn, Referral


@dataclass
class Sheet:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


def _codes() -> dict:
    return dict(sources.session().execute(select(Store.id, Store.code)).all())


def settlement(date_from: date, date_to: date, names: dict) -> list[Sheet]:
    """Points issued at one store and spent at another, and who owes whom (funder's view)."""
    report = settlements.settlement(date_from, date_to)
    hq = names["hq"]
    pairs = Sheet(names["settlement"], [names[c] for c in settlements.CSV_FIELDS],
                  [[p[c] if p[c] is not None or c in ("points", "value_fen") else hq
                    for c in settlements.CSV_FIELDS] for p in report["pairs"]])
    owed = Sheet(names["owed_by_funder"], [names[c] for c in ("payer", "payee", "points",
                                                               "value_fen")],
                 [[o["payer"] or hq, o["payee"] or hq, o["points"], o["value_fen"]]
                  for o in report["owed_by_funder"]])
    return [pairs, owed]


def points_by_store_month(date_from: date, date_to: date, names: dict) -> list[Sheet]:
    """Points issued, spent and expired per store and business month, from the rollup (and
    today's figures live)."""
    months: dict[tuple, list[int]] = {}
    today = clock.business_date()
    rows = sources.session().execute(
        select(DashboardStoreDay.day, DashboardStoreDay.store_key, DashboardStoreDay.points_issued,
               DashboardStoreDay.points_spent, DashboardStoreDay.points_expired)
        .where(DashboardStoreDay.day >= date_from, DashboardStoreDay.day <= date_to,
               DashboardStoreDay.day < today)).all()
    if date_from <= today <= date_to:
        rows += [(today, key, r["points_issued"], r["points_spent"], r["points_expired"])
                 for key, r in sources.day_figures(today)[0].items()]
    for day, key, *figures in rows:
        totals = months.setdefault((day.strftime("%Y-%m"), key), [0, 0, 0])
        for i, value in enumerate(figures):
            totals[i] += int(value)
    codes = _codes()
    return [Sheet(names["points_by_store_month"],
                  [names[c] for c in ("month", "store", "points_issued", "points_spent",
                                      "points_expired")],
                  [[month, codes.get(key) or names["hq"], *values]
                   for (month, key), values in sorted(
                       months.items(), key=lambda i: (i[0][0], codes.get(i[0][1]) or ""))
                   if any(values)])]


def liability(names: dict) -> list[Sheet]:
    report = liabilities.liability(clock.business_date())
    hq = names["hq"]
    return [
        Sheet(names["liability_by_store"], [names[c] for c in ("store", "points", "value_fen")],
              [[r["store_code"] or hq, r["points"], r["value_fen"]] for r in report["by_store"]]),
        Sheet(names["liability_by_funder"], [names[c] for c in ("funded_by", "points",
                                                                 "value_fen")],
              [[r["funded_by"] or hq, r["points"], r["value_fen"]] for r in report["by_funder"]]),
        Sheet(names["liability_by_month"], [names[c] for c in ("month", "points")],
              [[r["month"], r["points"]] for r in report["by_expiry_month"]]),
    ]


def checkins_and_referrals(date_from: date, date_to: date, names: dict) -> list[Sheet]:
    """Check-ins per day (made up, points paid) and referrals by outcome, for the range."""
    session = sources.session()
    checkins = session.execute(
        select(CheckIn.day, func.count(), func.sum(CheckIn.made_up), func.sum(CheckIn.points))
        .where(CheckIn.day >= date_from, CheckIn.day <= date_to)
        .group_by(CheckIn.day).order_by(CheckIn.day)).all()
    start, end = clock.start_of_business_day(date_from), clock.end_of_business_day(date_to)
    referrals = session.execute(
        select(Referral.status, func.count()).where(Referral.created_at >= start,
                                                    Referral.created_at <= end)
        .group_by(Referral.status).order_by(Referral.status)).all()
    return [
        Sheet(names["checkins"], [names[c] for c in ("date", "checkins", "made_up", "points")],
              [[d.isoformat(), int(n), int(m or 0), int(p or 0)] for d, n, m, p in checkins]),
        Sheet(names["referrals"], [names[c] for c in ("status", "referrals")],
              [[names.get(f"referral_{s}", s), int(n)] for s, n in referrals]),
    ]


def redemptions(date_from: date, date_to: date, names: dict) -> list[Sheet]:
    """Redemptions made in the range by product, store and status."""
    start, end = clock.start_of_business_day(date_from), clock.end_of_business_day(date_to)
    rows = sources.session().execute(
        select(Redemption.product_id, func.max(Redemption.title), Redemption.store_id,
               Redemption.status, func.count(), func.sum(Redemption.quantity),
               func.sum(Redemption.points), func.sum(Redemption.cash_fen))
        .where(Redemption.created_at >= start, Redemption.created_at <= end)
        .group_by(Redemption.product_id, Redemption.store_id, Redemption.status)).all()
    codes = _codes()
    return [Sheet(names["redemptions"],
                  [names[c] for c in ("product", "store", "status", "redemptions", "quantity",
                                      "points", "cash_fen")],
                  sorted(([title, codes.get(store) or names["any_store"],
                           names.get(f"status_{status}", status), int(n), int(q), int(p),
                           int(c or 0)]
                          for _pid, title, store, status, n, q, p, c in rows),
                         key=lambda r: (r[0], r[1], r[2])))]

