"""Drawing through the API: what a member pays and wins of each kind, every refusal, and that a
refused draw writes nothing."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core import clock
from core.db import db
from lottery.models import LotteryDraw, LotteryMemberCount, LotteryPrize
from mall.models import Redemption
from points.ledger.models import PointsAccount, PointsEntry
from tests.core.test_errors import assert_error
from tests.lottery.conftest import draw, none_prize, points_prize, product_prize
from tests.points.ledger_checks import assert_ledger_consistent

SH = timezone(timedelta(hours=8))


def balance(member):
    return db.session.scalar(select(PointsAccount.balance)
                             .where(PointsAccount.member_id == member.id))


def count(model, **filters):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def stock_left(prize_id):
    return db.session.scalar(select(LotteryPrize.stock_left).where(LotteryPrize.id == prize_id))


def test_a_points_prize_is_credited_after_the_cost_is_debited(member_client, lottery):
    game = lottery([points_prize(points=80, weight=1)], cost_points=30)
    me = member_client(points=100)
    response = draw(me, game.id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "won" and body["points_spent"] == 30 and body["redrawn"] is False
    assert body["prize"]["kind"] == "points" and body["prize"]["points"] == 80
    assert body["balance"] == 150 == balance(me.member)
    kinds = db.session.scalars(select(PointsEntry.kind).where(
        PointsEntry.member_id == me.member.id).order_by(PointsEntry.id)).all()
    assert kinds == ["earn", "draw", "prize"]
    history = me.get("/me/points/entries").get_json()["items"]
    assert {e["kind"] for e in history} >= {"draw", "prize"}
    assert_ledger_consistent()


def test_thanks_for_playing_costs_the_points_and_wins_nothing(member_client, lottery):
    game = lottery([none_prize(weight=1)], cost_points=20)
    me = member_client(points=50)
    body = draw(me, game.id).get_json()
    assert body["status"] == "lost" and body["prize"]["kind"] == "none"
    assert body["prize"]["name"] == "谢谢参与" and body["balance"] == 30 == balance(me.member)


def test_a_coupon_prize_is_issued_as_the_mall_issues_coupons(member_client, lottery, product):
    offer = product("coupon", coupon={"deduct_fen": 500, "min_spend_fen": 0, "valid_days": 7})
    game = lottery([product_prize(offer, stock=3)])
    me = member_client(points=100)
    body = draw(me, game.id).get_json()
    coupon = body["prize"]["coupon"]
    assert body["prize"]["kind"] == "coupon" and len(coupon["code"]) == 12
    assert [c["code"] for c in me.get("/me/coupons").get_json()["items"]] == [coupon["code"]]
    assert stock_left(game.prizes[0].id) == 2
    assert db.session.get(type(offer), offer.id).stock_left == offer.stock_left  # mall stock kept


def test_a_gift_prize_is_picked_up_with_its_code_at_the_till(member_client, staff_client, factory,
                                                             lottery, product):
    store = factory.store()
    bag = product("gift")
    game = lottery([product_prize(bag, stock=1)])
    me = member_client(points=100)
    body = draw(me, game.id).get_json()
    code = body["prize"]["pickup_code"]
    assert len(code) == 10 and body["prize"]["redemption_status"] == "pending"
    cashier = staff_client("cashier", stores=[store])
    handed = cashier.post("/staff/redemptions/verify", {"pickup_code": code,
                                                        "store_code": store.code})
    assert handed.status_code == 200 and handed.get_json()["status"] == "fulfilled"
    assert handed.get_json()["points"] == 0
    mine = me.get("/me/lottery-draws").get_json()["items"]
    assert mine[0]["prize"]["redemption_status"] == "fulfilled"


def test_too_few_points_is_409_and_nothing_is_written(member_client, lottery):
    game = lottery(cost_points=30)
    me = member_client(points=29)
    assert_error(draw(me, game.id), 409, "insufficient_points")
    assert count(LotteryDraw) == 0 and count(LotteryMemberCount) == 0
    assert count(PointsEntry, member_id=me.member.id) == 1 and balance(me.member) == 29
    assert me.get("/me/lottery-draws").get_json()["items"] == []


def test_a_merged_members_token_draws_nothing(member_client, lottery):
    from members.models import Member

    game = lottery()
    me, survivor = member_client(points=100), member_client()
    db.session.execute(Member.__table__.update().where(Member.id == me.member.id)
                       .values(status="merged", merged_into_id=survivor.member.id))
    db.session.commit()
    assert_error(draw(me, game.id), 401, "unauthenticated")
    assert count(LotteryDraw) == 0 and balance(me.member) == 100


def test_the_daily_and_total_limits(member_client, lottery):
    clock.set(datetime(2026, 5, 1, 23, 0, tzinfo=SH))
    game = lottery(daily_limit=2, total_limit=3)
    me = member_client(points=1000)
    assert [draw(me, game.id).status_code for _ in range(2)] == [201, 201]
    refused = draw(me, game.id)
    assert_error(refused, 409, "limit_exceeded")
    assert refused.get_json()["error"]["details"]["daily_limit"] == 2
    assert me.get(f"/lotteries/{game.id}").get_json()["draws_left_today"] == 0
    clock.set(datetime(2026, 5, 2, 0, 1, tzinfo=SH))  # a new business day
    listed = me.get(f"/lotteries/{game.id}").get_json()
    assert listed["draws_left_today"] == 1 and listed["draws_left_total"] == 1
    assert draw(me, game.id).status_code == 201
    assert_error(draw(me, game.id), 409, "limit_exceeded")
    assert balance(me.member) + 3 * 10 - sum(
        d.points_won or 0 for d in db.session.scalars(select(LotteryDraw))) == 1000


def test_the_same_idempotency_key_draws_once(member_client, lottery):
    game = lottery(cost_points=10)
    me = member_client(points=100)
    first, again = draw(me, game.id, key="draw-key-0001"), draw(me, game.id, key="draw-key-0001")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert count(LotteryDraw) == 1 and count(PointsEntry, kind="draw") == 1


def test_the_same_key_after_redis_forgot_it_replays_and_draws_nothing_more(member_client,
                                                                           lottery):
    from core.redis import get_redis

    game = lottery(cost_points=10)
    me = member_client(points=100)
    first = draw(me, game.id, key="draw-key-0002")
    get_redis().flushdb()  # a restart without persistence: lock and "done" marker gone
    again = draw(me, game.id, key="draw-key-0002")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert count(LotteryDraw) == 1 and count(PointsEntry, kind="draw") == 1
    assert balance(me.member) == first.get_json()["balance"]


def test_outside_its_window_or_tier_or_store_a_lottery_refuses(member_client, factory, lottery):
    store, elsewhere = factory.store(), factory.store()
    me = member_client(points=100)
    now = clock.now()
    later = lottery(starts_at=now + timedelta(hours=1), ends_at=now + timedelta(days=1))
    assert_error(draw(me, later.id), 409, "invalid_state")
    at_store = lottery(store_codes=[store.code])
    assert_error(draw(me, at_store.id), 409, "invalid_state")
    assert_error(draw(me, at_store.id, store_code=elsewhere.code), 409, "invalid_state")
    assert draw(me, at_store.id, store_code=store.code).status_code == 201
    assert_error(draw(me, at_store.id, store_code="NOPE"), 422, "validation_error")
    assert_error(draw(me, 999999), 404, "not_found")
    assert count(LotteryDraw) == 1


def test_a_prize_sold_out_since_the_odds_were_shown_is_picked_again_and_recorded(
        member_client, lottery):
    game = lottery([points_prize(points=5, weight=1_000_000, stock=1), none_prize(weight=1)])
    big = game.prizes[0].id
    me = member_client(points=100)
    shown = me.get(f"/lotteries/{game.id}").get_json()["prizes"]
    assert [p["id"] for p in shown] == [big, game.prizes[1].id]
    db.session.execute(LotteryPrize.__table__.update().where(LotteryPrize.id == big)
                       .values(stock_left=0))
    db.session.commit()  # it ran out; a draw reads the stock under its lock
    body = draw(me, game.id).get_json()
    assert body["status"] == "lost" and body["redrawn"] is False  # already known: not offered
    assert [p["id"] for p in me.get(f"/lotteries/{game.id}").get_json()["prizes"]] \
        == [game.prizes[1].id]


def test_a_pick_of_a_prize_that_just_ran_out_is_followed_by_another(app, member_client,
                                                                     lottery, monkeypatch):
    from lottery import drawing

    game = lottery([points_prize(points=5, weight=1_000_000, stock=1), none_prize(weight=1)])
    me = member_client(points=100)
    real = drawing.standing
    monkeypatch.setattr(drawing, "standing", lambda reads: real({**reads, "sold_out": None}))
    db.session.execute(LotteryPrize.__table__.update()
                       .where(LotteryPrize.id == game.prizes[0].id).values(stock_left=0))
    db.session.commit()  # gone between the read and the pick
    body = draw(me, game.id).get_json()
    assert body["redrawn"] is True and body["status"] == "lost"
    picks = db.session.get(LotteryDraw, body["id"]).picks
    assert [(p["prize_id"], p["taken"]) for p in picks] == [(game.prizes[0].id, False),
                                                            (game.prizes[1].id, True)]


def test_nothing_left_to_win_is_out_of_stock_before_any_points_go(member_client, lottery):
    game = lottery([points_prize(stock=1)])
    me = member_client(points=100)
    assert draw(me, game.id).status_code == 201
    assert_error(draw(me, game.id), 409, "out_of_stock")
    assert balance(me.member) == 100 - 10 + 50 and count(LotteryDraw) == 1


def test_a_failed_fulfilment_rolls_the_whole_draw_back(member_client, staff_client, lottery,
                                                       product):
    bag = product("gift")
    game = lottery([product_prize(bag, stock=5)])
    staff_client("hq_admin").delete(f"/admin/products/{bag.id}")  # withdrawn after set-up
    me = member_client(points=100)
    assert_error(draw(me, game.id), 409, "invalid_state")
    assert balance(me.member) == 100 and stock_left(game.prizes[0].id) == 5
    assert count(LotteryDraw) == 0 and count(Redemption) == 0 and count(LotteryMemberCount) == 0


def test_a_cancelled_gift_prize_goes_back_to_the_prize_stock(member_client, lottery, product):
    bag = product("gift")
    game = lottery([product_prize(bag, stock=1, value_fen=900)], budget_fen=900)
    me = member_client(points=100)
    won = draw(me, game.id).get_json()
    assert_error(draw(me, game.id), 409, "out_of_stock")
    cancelled = me.post(f"/me/redemptions/{won['prize']['redemption_id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert stock_left(game.prizes[0].id) == 1 and balance(me.member) == 90  # the draw is paid
    assert me.get("/me/lottery-draws").get_json()["items"][0]["status"] == "cancelled"
    assert draw(me, game.id).status_code == 201  # the unit can be won again
    assert_ledger_consistent()


def test_a_points_budget_stops_points_prizes(member_client, lottery):
    game = lottery([points_prize(points=60, weight=100), none_prize(weight=1)],
                   budget_points=100)
    me = member_client(points=1000)
    won = [draw(me, game.id).get_json()["prize"]["kind"] for _ in range(4)]
    assert won.count("points") <= 1 and "none" in won[1:]
    assert me.get(f"/lotteries/{game.id}").get_json()["prizes"][0]["kind"] == "none"
