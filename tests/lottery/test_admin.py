"""Marketers configure lotteries (audited); a prize table that cannot work is refused."""
from datetime import timedelta

import pytest

from core import clock
from tests.core.test_errors import assert_error
from tests.lottery.conftest import draw, none_prize, points_prize, product_prize


def payload(**fields):
    now = clock.now()
    return {"name": "周末抽奖", "cost_points": 20, "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=2)).isoformat(), "daily_limit": 3,
            "total_limit": 10, "prizes": [points_prize(), none_prize()], **fields}


def test_a_marketer_creates_a_lottery_and_the_change_is_audited(staff_client, member_client):
    marketer = staff_client("marketer")
    response = marketer.post("/admin/lotteries", payload())
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert [p["kind"] for p in made["prizes"]] == ["points", "none"]
    assert made["prizes"][0]["stock_left"] is None and made["daily_limit"] == 3
    log = staff_client("hq_admin").get("/admin/audit-log?target_type=lottery").get_json()["items"]
    assert log[0]["action"] == "lottery.create" and log[0]["after"]["prizes"][1]["kind"] == "none"
    shown = member_client().get(f"/lotteries/{made['id']}").get_json()
    assert shown["seed_commitment"] and shown["next_seed_commitment"]


@pytest.mark.parametrize("prizes, field", [
    ([{**none_prize(), "weight": 0}], "prizes"),
    ([{"name": "券", "kind": "coupon", "weight": 1}], "prizes"),
    ([points_prize(stock=0)], "prizes"),
    ([], "prizes"),
])
def test_an_unworkable_prize_table_is_422(staff_client, prizes, field):
    response = staff_client("marketer").post("/admin/lotteries", payload(prizes=prizes))
    assert_error(response, 422, "validation_error")
    assert field in response.get_json()["error"]["details"]


def test_a_prize_must_name_a_product_of_its_kind(staff_client, product):
    gift = product("gift")
    wrong = {**product_prize(gift), "kind": "coupon"}
    response = staff_client("marketer").post("/admin/lotteries", payload(prizes=[wrong]))
    assert_error(response, 422, "validation_error")
    assert "coupon product" in str(response.get_json()["error"]["details"])


def test_the_window_must_end_after_it_starts(staff_client):
    now = clock.now()
    response = staff_client("marketer").post("/admin/lotteries", payload(
        starts_at=now.isoformat(), ends_at=(now - timedelta(hours=1)).isoformat()))
    assert_error(response, 422, "validation_error")


def test_staff_other_than_marketers_may_not_configure(staff_client):
    cashier = staff_client("cashier")
    assert_error(cashier.post("/admin/lotteries", payload()), 403, "forbidden")


def test_patching_the_prize_table_keeps_the_lines_won_and_takes_others_off(
        staff_client, member_client, lottery):
    game = lottery([points_prize(points=5, weight=1), none_prize(weight=1)])
    me = member_client(points=100)
    won = draw(me, game.id).get_json()
    keep, gone = game.prizes
    marketer = staff_client("marketer")
    response = marketer.patch(f"/admin/lotteries/{game.id}", {"prizes": [
        {"id": keep.id, "name": "5 积分", "kind": "points", "points": 5, "weight": 4},
        points_prize(points=20, weight=1, stock=2)]})
    assert response.status_code == 200, response.get_json()
    lines = {p["id"]: p for p in response.get_json()["prizes"]}
    assert lines[keep.id]["weight"] == 4 and lines[gone.id]["active"] is False
    shown = me.get(f"/lotteries/{game.id}").get_json()["prizes"]
    assert [p["odds_fraction"] for p in shown] == ["4/5", "1/5"]
    assert me.get("/me/lottery-draws").get_json()["items"][0]["id"] == won["id"]
    refused = marketer.patch(f"/admin/lotteries/{game.id}", {"prizes": [
        {"id": keep.id, "name": "5 积分", "kind": "none", "weight": 1}]})
    assert_error(refused, 422, "validation_error")


def test_prize_stock_is_adjusted_with_a_reason_never_below_zero(staff_client, lottery):
    game = lottery([points_prize(stock=3), none_prize()])
    prize = game.prizes[0].id
    marketer = staff_client("marketer")
    path = f"/admin/lotteries/{game.id}/prizes/{prize}/stock"
    added = marketer.post(path, {"delta": 2, "reason": "more stock came in"}).get_json()
    assert (added["stock_left"], added["stock_total"]) == (5, 5)
    assert_error(marketer.post(path, {"delta": -6, "reason": "miscounted"}), 409, "invalid_state")
    unlimited = f"/admin/lotteries/{game.id}/prizes/{game.prizes[1].id}/stock"
    assert_error(marketer.post(unlimited, {"delta": 1, "reason": "x" * 3}), 409, "invalid_state")
    log = staff_client("hq_admin").get("/admin/audit-log?target_type=lottery_prize") \
        .get_json()
    assert log["items"][0]["reason"] == "more stock came in"


def test_the_draw_log_filters_by_member_and_status(staff_client, member_client, lottery):
    game = lottery([points_prize(weight=1)])
    me, other = member_client(points=100), member_client(points=100)
    draw(me, game.id), draw(other, game.id), draw(other, game.id)
    marketer = staff_client("marketer")
    mine = marketer.get(f"/admin/lotteries/{game.id}/draws?member_no={me.member.member_no}")
    assert [d["member_id"] for d in mine.get_json()["items"]] == [me.member.id]
    won = marketer.get(f"/admin/lotteries/{game.id}/draws?status=won").get_json()["items"]
    assert len(won) == 3


def test_a_withdrawn_lottery_draws_no_more(staff_client, member_client, lottery):
    game = lottery()
    assert staff_client("marketer").delete(f"/admin/lotteries/{game.id}").status_code == 200
    me = member_client(points=100)
    assert_error(draw(me, game.id), 404, "not_found")
    assert game.id not in [lot["id"] for lot in me.get("/lotteries").get_json()["items"]]
