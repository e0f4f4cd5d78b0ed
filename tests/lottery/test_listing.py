"""What members see: the lotteries they may draw in with the odds a draw uses, their draws,
the winners' ticker (masked)."""
from fractions import Fraction

from tests.core.test_errors import assert_error
from tests.lottery.conftest import draw, none_prize, points_prize, product_prize


def test_published_odds_are_the_weights_of_the_prizes_in_stock(member_client, staff_client,
                                                                lottery, product):
    bag = product("gift")
    game = lottery([points_prize(weight=3), product_prize(bag, weight=1, stock=1),
                    none_prize(weight=6)], cost_points=10, daily_limit=5)
    me = member_client(points=100)
    listed = {lot["id"]: lot for lot in me.get("/lotteries").get_json()["items"]}[game.id]
    assert listed["cost_points"] == 10 and listed["draws_left_today"] == 5
    assert listed["total_weight"] == 10
    assert [(p["kind"], p["odds_fraction"]) for p in listed["prizes"]] == \
        [("points", "3/10"), ("gift", "1/10"), ("none", "3/5")]
    assert sum(Fraction(p["odds_fraction"]) for p in listed["prizes"]) == 1
    gift = game.prizes[1].id
    assert staff_client("marketer").post(f"/admin/lotteries/{game.id}/prizes/{gift}/stock",
                                         {"delta": -1, "reason": "given away at the launch"}
                                         ).status_code == 200
    listed = me.get(f"/lotteries/{game.id}").get_json()
    assert listed["total_weight"] == 9
    assert [(p["kind"], p["odds_fraction"]) for p in listed["prizes"]] == \
        [("points", "1/3"), ("none", "2/3")]


def test_a_lottery_for_a_higher_tier_is_not_listed_and_refuses(member_client, staff_client,
                                                               lottery):
    admin = staff_client("hq_admin")
    assert admin.post("/admin/tiers", {"code": "gold", "name": "金卡", "threshold_points": 5000,
                                       "multiplier": "1.5"}).status_code == 201
    game = lottery(tier_required="gold")
    me = member_client(points=100)
    assert game.id not in [lot["id"] for lot in me.get("/lotteries").get_json()["items"]]
    assert_error(draw(me, game.id), 409, "invalid_state")


def test_a_store_lists_the_lotteries_drawn_there(member_client, factory, lottery):
    here, there = factory.store(), factory.store()
    anywhere, only_there = lottery(), lottery(store_codes=[there.code])
    me = member_client()
    ids = [lot["id"] for lot in me.get(f"/lotteries?store_code={here.code}").get_json()["items"]]
    assert anywhere.id in ids and only_there.id not in ids


def test_my_draws_newest_first_with_their_prizes(member_client, lottery):
    game = lottery([points_prize(points=7, weight=1)])
    me, other = member_client(points=100), member_client(points=100)
    made = [draw(me, game.id).get_json()["id"] for _ in range(3)]
    draw(other, game.id)
    page = me.get("/me/lottery-draws?limit=2").get_json()
    assert [d["id"] for d in page["items"]] == made[::-1][:2] and page["next_cursor"]
    rest = me.get(f"/me/lottery-draws?limit=2&cursor={page['next_cursor']}").get_json()
    assert [d["id"] for d in rest["items"]] == [made[0]]
    assert page["items"][0]["prize"]["points"] == 7 and page["items"][0]["status"] == "won"


def test_the_winners_ticker_masks_who_won_and_skips_thanks_for_playing(member_client, lottery):
    game = lottery([points_prize(points=9, weight=1)])
    lost = lottery([none_prize()])
    me = member_client(points=100, nickname="张三丰")
    draw(me, game.id)
    draw(me, lost.id)
    ticker = me.get(f"/lotteries/{game.id}/winners").get_json()["items"]
    assert ticker == [{"member": "张**", "prize_name": "9 积分", "prize_kind": "points",
                       "created_at": ticker[0]["created_at"]}]
    assert me.get(f"/lotteries/{lost.id}/winners").get_json()["items"] == []
    anonymous = member_client(points=100)
    draw(anonymous, game.id)
    masked = me.get(f"/lotteries/{game.id}/winners").get_json()["items"][0]["member"]
    assert "****" in masked and anonymous.member.member_no not in masked
