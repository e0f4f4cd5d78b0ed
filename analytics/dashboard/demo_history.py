"""Months of demo history for the dashboard: a few thousand members registered over the last
DAYS days across the demo stores, their till orders (and the POS's count of all orders),
short-lived promotion bonuses that expire, daily check-ins, referrals and mall redemptions —
written as the ledger would have written them (entries, lots, allocations, accounts, monthly
earnings, tiers and the changes that raised them), so `points reconcile` stays clean. Bulk
inserts with ids chosen here: a simulation per member in Python, then one INSERT per table."""
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from core import clock
from core.db import db
from mall.models import FULFILLED, MALL, Product, Redemption
from members.models import ORIGIN_WECHAT, STATUS_ACTIVE, Member
from members.numbers import luhn_digit
from points.earning.models import Order
from points.ledger.models import PointsAccount, PointsAllocation, PointsEntry, PointsLot
from points.programme import tier_history, tiers
from points.programme.models import EarnedMonth, TierChange
from tasks.models import CheckIn, Referral, Task
from analytics.dashboard.models import PosDayTotal

DAYS = 180
MEMBERS = 3000
#: the first demo-history member's invite code: present = the history is already there
MARKER = "DH000000"
BONUS_DAYS = 60  # a promotion's bonus points expire after this many days
GIFTS = ("品牌帆布袋", "公益捐赠 1 元", "10 元代金券")


class History:
    """Rows to insert, with their ids, and each member's live lots while simulating."""

    def __init__(self, stores: list[int], rng: random.Random):
        self.stores, self.rng, self.now = stores, rng, clock.now()
        self.rows = {model: [] for model in (Member, Order, PointsEntry, PointsLot,
                                             PointsAllocation, PointsAccount, EarnedMonth,
                                             CheckIn, Referral, Redemption, PosDayTotal,
                                             TierChange)}
        self.ids = {model: (db.session.scalar(select(func.max(model.id))) or 0)
                    for model in (Member, Order, PointsEntry, PointsLot, PointsAllocation,
                                  CheckIn, Referral, Redemption, TierChange)}
        self.tiers = tiers.active_tiers()

    def next_id(self, model) -> int:
        self.ids[model] += 1
        return self.ids[model]

    def add(self, model, **row) -> dict:
        self.rows[model].append(row)
        return row

    def write(self) -> None:
        self.rows[Member].sort(key=lambda m: m["created_at"])  # an inviter before the invited
        for model, rows in self.rows.items():
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[start:start + 5000])


class Account:
    """One member's ledger while simulating: balance, live lots (soonest-expiring first)."""

    def __init__(self, history: History, member_id: int):
        self.h, self.member_id = history, member_id
        self.balance = self.earned = 0
        self.lots: list[dict] = []
        self.months: dict[int, int] = {}
        self.tier: str | None = None

    def credit(self, at, kind, points, store_id, ref, expires_at, key):
        self.expire_due(at)
        self.balance += points
        entry = self._entry(at, kind, points, store_id, ref, key)
        self.lots.append(self.h.add(PointsLot, id=self.h.next_id(PointsLot),
                                    member_id=self.member_id, amount=points, remaining=points,
                                    expires_at=expires_at, store_id=store_id,
                                    funder_store_id=None, entry_id=entry["id"],
                                    origin_lot_id=None, birthday_extended=False, created_at=at))
        self.lots.sort(key=lambda lot: (lot["expires_at"], lot["id"]))
        if kind in ("earn", "bonus", "checkin", "referral"):
            self.earned += points
            month = int(clock.business_date(at).strftime("%Y%m"))
            self.months[month] = self.months.get(month, 0) + points
            self.raise_tier(at)
        return entry

    def raise_tier(self, at):
        """As a credit does: the tier the window's earnings reach, if higher (recorded)."""
        reached = tiers.tier_for_points(self.earned_in_window(at), self.h.tiers)
        held = next((t for t in self.h.tiers if t.code == self.tier), None)
        if reached is not None and (held is None
                                    or reached.threshold_points > held.threshold_points):
            self.change_tier(at, reached.code, tier_history.EARNED)

    def earned_in_window(self, at) -> int:
        window = tiers.first_month_of_window(at)
        return sum(points for month, points in self.months.items() if month >= window)

    def change_tier(self, at, code, reason):
        self.h.add(TierChange, id=self.h.next_id(TierChange), member_id=self.member_id,
                   from_code=self.tier, to_code=code, reason=reason, created_at=at)
        self.tier = code

    def debit(self, at, kind, points, store_id, ref, key):
        self.expire_due(at)
        self.balance -= points
        entry = self._entry(at, kind, -points, store_id, ref, key)
        self._take(entry, points)
        return entry

    def expire_due(self, at):
        due = [lot for lot in self.lots if lot["expires_at"] <= at and lot["remaining"]]
        for lot in due:
            moment = lot["expires_at"] + timedelta(minutes=5)  # the sweep, just after midnight
            self.balance -= lot["remaining"]
            entry = self._entry(moment, "expire", -lot["remaining"], None, None,
                                f"demo-history:expire:{lot['id']}")
            self.h.add(PointsAllocation, id=self.h.next_id(PointsAllocation),
                       entry_id=entry["id"], lot_id=lot["id"], amount=lot["remaining"])
            lot["remaining"] = 0
        self.lots = [lot for lot in self.lots if lot["remaining"]]

    def _take(self, entry, points):
        for lot in self.lots:
            taken = min(points, lot["remaining"])
            if taken:
                lot["remaining"] -= taken
                points -= taken
                self.h.add(PointsAllocation, id=self.h.next_id(PointsAllocation),
                           entry_id=entry["id"], lot_id=lot["id"], amount=taken)
        self.lots = [lot for lot in self.lots if lot["remaining"]]

    def _entry(self, at, kind, delta, store_id, ref, key):
        ref_type, ref_id = ref or (None, None)
        return self.h.add(PointsEntry, id=self.h.next_id(PointsEntry), member_id=self.member_id,
                          kind=kind, delta=delta, balance_after=self.balance, debt_change=0,
                          store_id=store_id, ref_type=ref_type, ref_id=ref_id,
                          idempotency_key=key, operator_id=None, reason=None, details=None,
                          created_at=at)


def year_end(at: datetime) -> datetime:
    """The demo programme's expiry (year_end, years 1)."""
    return clock.end_of_business_day(date(clock.business_date(at).year + 1, 12, 31))


def moment(day: date, rng: random.Random) -> datetime:
    """A time in opening hours (10:00–21:59 business time) of a business day."""
    local = datetime.combine(day, time(rng.randint(10, 21), rng.randint(0, 59),
                                       rng.randint(0, 59)), clock.business_tz())
    return local.astimezone(clock.now().tzinfo)


def demo_member_no(i: int) -> str:
    body = f"87{i:09d}"
    return body + luhn_digit(body)


def already_seeded() -> bool:
    return db.session.scalar(select(Member.id).filter_by(invite_code=MARKER)) is not None


def seed_history(store_ids: list[int], members: int = MEMBERS, days: int = DAYS) -> int:
    """Write the history (once); the number of members written."""
    if already_seeded():
        return 0
    rng = random.Random(19)
    history = History(store_ids, rng)
    checkin_task = db.session.scalar(select(Task.id).filter_by(kind="checkin"))
    referral_task = db.session.scalar(select(Task.id).filter_by(kind="referral"))
    gifts = db.session.execute(select(Product.id, Product.title, Product.kind,
                                      Product.points_price)
                               .where(Product.title.in_(GIFTS))).all()
    today = clock.business_date()
    plans = [_plan(history, i, today, days) for i in range(members)]
    rewards = _referrals(history, plans, referral_task, rng)
    for plan in plans:
        _simulate(history, plan, rewards.get(plan["id"], []), checkin_task, gifts)
    _pos_totals(history, today, days)
    history.write()
    return members


def _plan(h: History, i: int, today: date, days: int) -> dict:
    rng = h.rng
    joined = today - timedelta(days=int(days * rng.random() ** 0.8))  # more members lately
    created = moment(joined, rng)
    if created > h.now:
        created = h.now - timedelta(minutes=rng.randint(1, 600))
    home = rng.choice(h.stores)
    member_id = h.next_id(Member)
    member = h.add(Member, id=member_id, member_no=demo_member_no(i),
                   invite_code=f"DH{i:06d}", phone=f"+861701{i:07d}", nickname=None,
                   origin=ORIGIN_WECHAT, status=STATUS_ACTIVE, registered_store_id=home,
                   created_at=created, token_version=1, tier_code=None, first_order_at=None,
                   invited_by_id=None)
    every = rng.choice((4, 7, 10, 14, 21, 30, 45, 90))  # how often this member comes
    visits, day = [], joined
    while (day := day + timedelta(days=max(1, int(rng.expovariate(1 / every))))) <= today:
        at = moment(day, rng)
        if at < h.now:
            visits.append(at)
    return {"id": member_id, "member": member, "home": home, "created": created,
            "visits": visits, "checks_in": rng.random() < 0.2}


def _referrals(h: History, plans: list[dict], task_id, rng) -> dict[int, list]:
    """A tenth of the members came by a friend's invitation: inviter → [(when, points)]."""
    rewards: dict[int, list] = {}
    if task_id is None:
        return rewards
    earlier = []
    for plan in sorted(plans, key=lambda p: p["created"]):
        if earlier and rng.random() < 0.1:
            inviter = rng.choice(earlier[-300:])
            paid = plan["visits"][0] if plan["visits"] else None
            h.add(Referral, id=h.next_id(Referral), inviter_id=inviter["id"],
                  invitee_id=plan["id"], task_id=task_id, trigger="first_order",
                  status="rewarded" if paid else "pending",
                  rewarded_month=clock.business_date(paid).strftime("%Y-%m") if paid else None,
                  created_at=plan["created"], rewarded_at=paid)
            plan["member"]["invited_by_id"] = inviter["id"]
            if paid:
                rewards.setdefault(inviter["id"], []).append((paid, 200))
                plan["invitee_reward"] = (paid, 100)
        earlier.append(plan)
    return rewards


def _simulate(h: History, plan: dict, rewards: list, checkin_task, gifts) -> None:
    rng, account = h.rng, Account(h, plan["id"])
    events = [(at, "order", None) for at in plan["visits"]]
    events += [(at, "referral", points) for at, points in rewards]
    if "invitee_reward" in plan:
        paid, points = plan["invitee_reward"]
        events.append((paid, "referral", points))
    if plan["checks_in"] and checkin_task:
        events += _checkin_days(h, plan)
    for n, (at, what, extra) in enumerate(sorted(events, key=lambda e: e[0])):
        if what == "order":
            _order(h, plan, account, at, gifts)
        elif what == "checkin":
            day, streak = extra
            points = 30 if streak % 7 == 0 else 5
            checkin_id = h.next_id(CheckIn)
            h.add(CheckIn, id=checkin_id, member_id=plan["id"], task_id=checkin_task, day=day,
                  streak=streak, points=points, made_up=False, created_at=at)
            account.credit(at, "checkin", points, None, ("checkin", str(checkin_id)),
                           year_end(at), f"demo-history:checkin:{checkin_id}")
        else:
            account.credit(at, "referral", extra, None, ("member", str(plan["id"])),
                           year_end(at), f"demo-history:referral:{plan['id']}:{n}")
    account.expire_due(h.now)
    _close(h, plan, account)


def _checkin_days(h: History, plan: dict) -> list:
    rng, events, streak = h.rng, [], 0
    day, today = clock.business_date(plan["created"]), clock.business_date(h.now)
    while day < today:
        if rng.random() < 0.6:
            streak += 1
            at = moment(day, rng)
            events.append((max(at, plan["created"] + timedelta(seconds=1)), "checkin",
                           (day, streak)))
        else:
            streak = 0
        day += timedelta(days=1)
    return events


def _order(h: History, plan: dict, account: Account, at: datetime, gifts) -> None:
    rng = h.rng
    store = plan["home"] if rng.random() < 0.8 else rng.choice(h.stores)
    amount = rng.choice((1800, 2600, 3200, 4500, 6800, 9900, 15800, 32000))
    points = amount // 100
    order_id = h.next_id(Order)
    entry = account.credit(at, "earn", points, store, ("order", str(order_id)), year_end(at),
                           f"order:{order_id}")
    h.add(Order, id=order_id, store_id=store, order_no=f"DH-{plan['id']}-{order_id}",
          member_id=plan["id"], amount_fen=amount, items=[], paid_at=at, request_hash="demo",
          source="pos", points_earned=points, breakdown=[{"kind": "base", "points": points}],
          balance_after=entry["balance_after"], refunded_fen=0, points_reversed=0, created_at=at)
    plan["member"]["first_order_at"] = plan["member"]["first_order_at"] or at
    if rng.random() < 0.15:  # a promotion's bonus, valid for BONUS_DAYS
        bonus = rng.choice((50, 100, 200))
        account.credit(at, "bonus", bonus, store, ("order", str(order_id)),
                       clock.end_of_business_day(clock.business_date(at)
                                                 + timedelta(days=BONUS_DAYS)),
                       f"demo-history:bonus:{order_id}")
    if rng.random() < 0.25:
        account.expire_due(at + timedelta(minutes=3))
        affordable = [g for g in gifts if g.points_price <= account.balance]
        if affordable:
            _redeem(h, plan, account, at + timedelta(minutes=3), store, rng.choice(affordable))


def _redeem(h: History, plan: dict, account: Account, at, store, gift) -> None:
    redemption_id = h.next_id(Redemption)
    entry = account.debit(at, "spend", gift.points_price, store,
                          ("redemption", str(redemption_id)),
                          f"demo-history:redemption:{redemption_id}")
    h.add(Redemption, id=redemption_id, member_id=plan["id"], product_id=gift.id,
          title=gift.title, kind=gift.kind, quantity=1, points=gift.points_price, cash_fen=0,
          origin=MALL, status=FULFILLED, store_id=store, pickup_code=None,
          open_pickup_code=None, pickup_expires_at=None, entry_id=entry["id"], created_at=at,
          fulfilled_at=at, fulfilled_store_id=store, fulfilled_by_id=None)


def _close(h: History, plan: dict, account: Account) -> None:
    h.add(PointsAccount, member_id=plan["id"], balance=account.balance,
          lifetime_earned=account.earned, version=len(account.months) + 1)
    for month, points in account.months.items():
        h.add(EarnedMonth, member_id=plan["id"], month=month, points=points)
    reached = tiers.tier_for_points(account.earned_in_window(h.now), h.tiers)
    if (reached.code if reached else None) != account.tier:  # earnings left the window
        account.change_tier(h.now, reached.code if reached else None, tier_history.REVIEW)
    plan["member"]["tier_code"] = account.tier


def _pos_totals(h: History, today: date, days: int) -> None:
    """Each store's POS count of all its orders per day: members' orders are 30–50 % of them."""
    counts: dict[tuple, list] = {}
    for order in h.rows[Order]:
        key = (order["store_id"], clock.business_date(order["paid_at"]))
        counts.setdefault(key, [0, 0])
        counts[key][0] += 1
        counts[key][1] += order["amount_fen"]
    for (store, day), (n, fen) in counts.items():
        if day < today:
            share = h.rng.uniform(0.3, 0.5)
            h.add(PosDayTotal, store_id=store, day=day, orders=round(n / share),
                  amount_fen=round(fen / share), reported_at=clock.end_of_business_day(day))
