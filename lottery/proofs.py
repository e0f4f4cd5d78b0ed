"""Proofs: everything needed to recompute a draw (the seed once its period is over), and the
operator's check of every draw of a lottery (`flask --app app lottery verify ID`)."""
from sqlalchemy import select

from core import clock
from core.auth import decrypt_secret
from core.db import db
from core.errors import NotFound
from lottery import fairness, seeds
from lottery.models import LotteryDraw, LotterySeed

ALGORITHM = ("input = draw_id:member_id:idempotency_key; pick k uses message input (k = 0) or "
             "input:k; value = HMAC-SHA256(seed, message) as a 256-bit big-endian integer, "
             "rejected and retried with message#1, message#2, … while ≥ 2^256 − 2^256 mod W, "
             "then taken mod W (W = Σ weights); the prize is the first in the weights' order "
             "whose running total of weights exceeds the value; seed_commitment = "
             "SHA-256(seed)")


def proof(lottery_id: int, draw_id: int) -> dict:
    """The draw's proof; `seed` is null until its period is over."""
    row = db.session.get(LotteryDraw, draw_id)
    if row is None or row.lottery_id != lottery_id or row.status is None:
        raise NotFound(f"No draw {draw_id} in lottery {lottery_id}.")
    seed_row = db.session.get(LotterySeed, row.seed_id)
    first = row.picks[0]
    return {"draw_id": row.id, "lottery_id": row.lottery_id, "period": row.period,
            "seed_commitment": seed_row.commitment, "committed_at": seed_row.created_at,
            "seed": seeds.revealed(seed_row, clock.now()),
            "input": fairness.draw_input(row.id, row.member_id, row.idempotency_key),
            "random_value": first["value"], "weights": first["weights"],
            "prize_id": row.prize_id, "picks": row.picks, "redrawn": row.redrawn,
            "algorithm": ALGORITHM}


def verify_chunk(lottery_id: int, after_id: int = 0, limit: int = 1000):
    """Recompute one chunk of the lottery's draws (the server reads every seed, also those of
    a period not over yet). Returns (draws checked, problems, cursor for the next or None)."""
    rows = db.session.scalars(select(LotteryDraw).where(
        LotteryDraw.lottery_id == lottery_id, LotteryDraw.id > after_id,
        LotteryDraw.status.is_not(None)).order_by(LotteryDraw.id).limit(limit)).all()
    seed_rows = {s.id: s for s in db.session.scalars(select(LotterySeed).where(
        LotterySeed.id.in_({r.seed_id for r in rows})))} if rows else {}
    problems = []
    for row in rows:
        seed_row = seed_rows[row.seed_id]
        seed = bytes.fromhex(seed_row.revealed_seed or decrypt_secret(seed_row.seed_encrypted))
        found = fairness.verify(seed, seed_row.commitment,
                                fairness.draw_input(row.id, row.member_id, row.idempotency_key),
                                row.picks or [], row.prize_id)
        problems += [f"draw {row.id}: {p}" for p in found]
    return len(rows), problems, (rows[-1].id if len(rows) == limit else None)
