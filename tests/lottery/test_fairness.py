"""Provable fairness, in-process: the mapping has no modulo bias, 100,000 draws follow the
published odds (chi-square), and the seed/HMAC proof recomputes every one of them."""
import hashlib
import hmac
import math
import random

import pytest

from lottery import fairness

SEED = bytes.fromhex("5eed" * 16)  # fixed: the statistics below are reproducible


def chi_square_p(counts: list[int], expected: list[float]) -> float:
    """P(χ² ≥ the statistic) for len(counts) − 1 degrees of freedom (regularized upper
    incomplete gamma, by its series or continued fraction: Numerical Recipes' gammq)."""
    stat = sum((c - e) ** 2 / e for c, e in zip(counts, expected))
    return _gammq((len(counts) - 1) / 2, stat / 2)


def _gammq(a: float, x: float) -> float:
    if x < a + 1:  # series for P, then Q = 1 - P
        term = total = 1 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= x / n
            total += term
        return 1 - total * math.exp(-x + a * math.log(x) - math.lgamma(a))
    b, c, d = x + 1 - a, 1 / 1e-300, 1 / (x + 1 - a)  # Lentz's continued fraction for Q
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = 1 / (an * d + b if abs(an * d + b) > 1e-300 else 1e-300)
        c = b + an / c if abs(b + an / c) > 1e-300 else 1e-300
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def test_the_p_value_helper_agrees_with_known_chi_square_quantiles():
    # χ² quantiles for p = 0.05 and 0.001 (standard tables)
    for df, x05, x001 in ((1, 3.841, 10.828), (3, 7.815, 16.266), (9, 16.919, 27.877)):
        assert _gammq(df / 2, x05 / 2) == pytest.approx(0.05, abs=2e-4)
        assert _gammq(df / 2, x001 / 2) == pytest.approx(0.001, abs=2e-5)


def test_100000_draws_follow_the_published_odds_and_every_proof_recomputes():
    weights = [(11, 1), (12, 4), (13, 15), (14, 30), (15, 150)]  # odds 0.5% … 75%
    total, n = sum(w for _id, w in weights), 100_000
    counts = {i: 0 for i, _w in weights}
    recorded = []
    for draw_id in range(1, n + 1):
        text = fairness.draw_input(draw_id, 1000 + draw_id % 97, f"key-{draw_id:08d}")
        value, prize_id = fairness.pick(SEED, text, weights)
        counts[prize_id] += 1
        recorded.append((text, value, prize_id))
    p = chi_square_p([counts[i] for i, _w in weights], [n * w / total for _i, w in weights])
    assert p > 0.001, (counts, p)
    commitment = fairness.commitment(SEED)
    for text, value, prize_id in recorded:  # what a verifier does with the revealed seed
        pick = {"weights": [list(w) for w in weights], "value": value, "prize_id": prize_id,
                "taken": True}
        assert fairness.verify(SEED, commitment, text, [pick], prize_id) == []


def test_a_biased_mapping_is_caught_by_the_same_test():
    """The chi-square test can fail: a modulo-biased `rand % total` over a small range is
    rejected at once."""
    weights, n = [(1, 1), (2, 1), (3, 1)], 30_000
    counts = [0, 0, 0]
    rng = random.Random(7)
    for _ in range(n):
        counts[rng.randrange(4) % 3] += 1  # 0 is twice as likely as 1 or 2
    assert chi_square_p(counts, [n / 3] * 3) < 0.001


def test_uniform_rejects_the_top_of_the_range_instead_of_folding_it():
    """Below the largest multiple of n under 2^256 the value is the HMAC mod n; at or above
    it, the HMAC of message#1 (then #2, …) is taken instead. With n just over 2^255 half of
    all HMACs fall above it, so both branches run."""
    n, seed = (1 << 255) + 1, b"s" * 32

    def raw(text):
        return int.from_bytes(hmac.new(seed, text.encode(), hashlib.sha256).digest(), "big")

    rejected = 0
    for i in range(200):
        message = f"m{i}"
        attempt, text = 0, message
        while raw(text) >= n:  # limit = 2^256 - (2^256 mod n) = n here
            attempt += 1
            text = f"{message}#{attempt}"
        rejected += attempt > 0
        assert fairness.uniform(seed, message, n) == raw(text)
    assert 60 < rejected < 140


def test_choose_maps_each_value_to_its_share():
    weights = [(7, 2), (8, 1), (9, 3)]
    assert [fairness.choose(weights, v) for v in range(6)] == [7, 7, 8, 9, 9, 9]
    with pytest.raises(ValueError):
        fairness.choose(weights, 6)


def test_verify_finds_a_forged_prize_a_wrong_seed_and_a_moved_value():
    weights = [[1, 1], [2, 1]]
    text = fairness.draw_input(5, 6, "key-00000001")
    value, prize_id = fairness.pick(SEED, text, [tuple(w) for w in weights])
    honest = [{"weights": weights, "value": value, "prize_id": prize_id, "taken": True}]
    commitment = fairness.commitment(SEED)
    assert fairness.verify(SEED, commitment, text, honest, prize_id) == []
    other = 3 - prize_id
    forged = [{**honest[0], "prize_id": other}]
    assert fairness.verify(SEED, commitment, text, forged, other)
    assert fairness.verify(b"x" * 32, commitment, text, honest, prize_id)
    assert fairness.verify(SEED, commitment, text, honest, other)
