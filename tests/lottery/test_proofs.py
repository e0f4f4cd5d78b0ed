"""Proofs as a member (or anyone) uses them: the commitment is published before the period, the
seed only after it, and then every draw recomputes from the proof alone."""
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from core import clock
from core.cli import seed_demo_data
from core.db import db
from lottery import jobs, seeds
from lottery.models import LotteryDraw, LotteryPrize, LotterySeed
from tests.core.test_errors import assert_error
from tests.lottery.conftest import draw, none_prize, points_prize

SH = timezone(timedelta(hours=8))


def recompute(proof) -> int:
    """What an outside verifier does with a proof: check the commitment, then redo each pick
    with HMAC-SHA256 — written here from the published algorithm, not with lottery.fairness."""
    seed = bytes.fromhex(proof["seed"])
    assert hashlib.sha256(seed).hexdigest() == proof["seed_commitment"]
    for k, pick in enumerate(proof["picks"]):
        message, total = proof["input"] if k == 0 else f"{proof['input']}:{k}", \
            sum(w for _id, w in pick["weights"])
        span, attempt = 1 << 256, 0
        while True:
            text = message if attempt == 0 else f"{message}#{attempt}"
            raw = int.from_bytes(hmac.new(seed, text.encode(), hashlib.sha256).digest(), "big")
            if raw < span - span % total:
                break
            attempt += 1
        value = raw % total
        assert value == pick["value"]
        for prize_id, weight in pick["weights"]:
            if value < weight:
                assert prize_id == pick["prize_id"]
                break
            value -= weight
    return [p["prize_id"] for p in proof["picks"] if p["taken"]][-1]


def test_the_seed_is_committed_before_and_revealed_after_its_period(member_client, lottery):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    game = lottery([points_prize(weight=2), none_prize(weight=5)],
                   starts_at=datetime(2026, 5, 1, 9, tzinfo=SH),
                   ends_at=datetime(2026, 5, 4, 0, tzinfo=SH))
    me = member_client(points=1000)
    shown = me.get(f"/lotteries/{game.id}").get_json()
    assert len(shown["seed_commitment"]) == 64 and len(shown["next_seed_commitment"]) == 64
    made = [draw(me, game.id).get_json() for _ in range(6)]
    proofs = [me.get(f"/lotteries/{game.id}/draws/{d['id']}/proof").get_json() for d in made]
    assert all(p["seed"] is None for p in proofs)  # never before the period is over
    assert {p["seed_commitment"] for p in proofs} == {shown["seed_commitment"]}
    clock.set(datetime(2026, 5, 2, 0, 0, 1, tzinfo=SH))
    for d in made:
        proof = me.get(f"/lotteries/{game.id}/draws/{d['id']}/proof").get_json()
        assert proof["input"].startswith(f"{d['id']}:{me.member.id}:")
        assert recompute(proof) == d["prize"]["id"] == proof["prize_id"]
    # the next day's draws use the seed committed the day before
    assert me.get(f"/lotteries/{game.id}").get_json()["seed_commitment"] \
        == shown["next_seed_commitment"]


def test_a_redrawn_draw_proves_each_of_its_picks(member_client, lottery, monkeypatch):
    from lottery import drawing

    game = lottery([points_prize(weight=1000, stock=1), none_prize(weight=1)])
    me = member_client(points=100)
    db.session.execute(update(LotteryPrize).where(LotteryPrize.id == game.prizes[0].id)
                       .values(stock_left=0))
    db.session.commit()  # gone between the read and the pick
    real = drawing.standing
    monkeypatch.setattr(drawing, "standing", lambda reads: real({**reads, "sold_out": None}))
    made = draw(me, game.id).get_json()
    assert made["redrawn"]
    clock.set(clock.now() + timedelta(days=1))
    proof = me.get(f"/lotteries/{game.id}/draws/{made['id']}/proof").get_json()
    assert len(proof["picks"]) == 2 and recompute(proof) == game.prizes[1].id


def test_a_proof_of_another_lottery_or_no_draw_is_404(member_client, lottery):
    game, other = lottery(), lottery()
    me = member_client(points=100)
    made = draw(me, game.id).get_json()
    assert_error(me.get(f"/lotteries/{other.id}/draws/{made['id']}/proof"), 404, "not_found")
    assert_error(me.get(f"/lotteries/{game.id}/draws/999999/proof"), 404, "not_found")


def test_verify_recomputes_every_draw_and_fails_on_a_forged_one(app, member_client, lottery):
    game = lottery([points_prize(weight=1), none_prize(weight=1)])
    me = member_client(points=1000)
    for _ in range(12):
        assert draw(me, game.id).status_code == 201
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lottery", "verify", str(game.id)])
    assert result.exit_code == 0 and "12 draws recomputed, 0 mismatches" in result.output
    row = db.session.scalars(select(LotteryDraw).order_by(LotteryDraw.id)).first()
    forged = [{**row.picks[0], "prize_id": next(p.id for p in game.prizes
                                                if p.id != row.prize_id)}]
    db.session.execute(update(LotteryDraw).where(LotteryDraw.id == row.id)
                       .values(picks=forged, prize_id=forged[0]["prize_id"]))
    db.session.commit()
    result = runner.invoke(args=["lottery", "verify", str(game.id)])
    assert result.exit_code == 1 and "1 mismatches" in result.output
    assert f"draw {row.id}: pick 0" in result.output


def test_the_job_commits_tomorrows_seed_and_reveals_yesterdays(app, lottery):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    game = lottery(starts_at=datetime(2026, 5, 1, 9, tzinfo=SH),
                   ends_at=datetime(2026, 5, 10, tzinfo=SH))
    periods = lambda: sorted(db.session.scalars(select(LotterySeed.period)  # noqa: E731
                                                .filter_by(lottery_id=game.id)))
    assert [str(d) for d in periods()] == ["2026-05-01", "2026-05-02"]
    clock.set(datetime(2026, 5, 2, 0, 10, tzinfo=SH))
    assert jobs.rotate_seeds() == {"seeds_committed": 1, "seeds_revealed": 1}
    assert [str(d) for d in periods()][-1] == "2026-05-03"
    first = db.session.scalars(select(LotterySeed).filter_by(lottery_id=game.id)
                               .order_by(LotterySeed.period)).first()
    db.session.refresh(first)
    assert hashlib.sha256(bytes.fromhex(first.revealed_seed)).hexdigest() == first.commitment
    assert jobs.rotate_seeds() == {"seeds_committed": 0, "seeds_revealed": 0}
    assert seeds.revealed(first, clock.now()) == first.revealed_seed


def test_seed_demo_adds_a_lottery_and_a_draw_and_can_run_again(factory, monkeypatch):
    member = factory.member(points=1000)
    monkeypatch.setattr("members.demo.seed_demo", lambda: [])
    monkeypatch.setattr("lottery.demo.demo_member", lambda: member)
    monkeypatch.setattr("mall.demo.demo_member", lambda: None)
    lines = seed_demo_data()
    assert any("Demo lottery" in line for line in lines)
    seed_demo_data()
    draws = db.session.scalars(select(LotteryDraw).filter_by(member_id=member.id)).all()
    assert len(draws) == 1 and draws[0].status in ("won", "lost")
