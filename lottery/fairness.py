"""Provable fairness, as pure functions anyone can rerun (no database, no app).

For each period the server draws a secret 32-byte seed and publishes `commitment(seed)` =
hex SHA-256 before the period starts. A draw's random input is `draw_input(draw id, member
id, Idempotency-Key)`; each pick maps HMAC-SHA256(seed, message) to a whole number in
[0, Σ weights) without modulo bias (`uniform`), and the number to a prize by the cumulative
weights of the prizes in stock, in prize-id order (`choose`). A pick whose prize had just run
out is followed by another among the prizes still in stock, with the message `input:1`,
`input:2`, …. After the period the seed is revealed, and `verify` recomputes every pick.
"""
import hashlib
import hmac
import secrets

SEED_BYTES = 32
_SPAN = 1 << 256  # HMAC-SHA256 gives 256 bits


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def draw_input(draw_id: int, member_id: int, key: str) -> str:
    """Unambiguous: the two ids are digits, so the key is everything after the second colon."""
    return f"{draw_id}:{member_id}:{key}"


def pick_message(draw_input_: str, pick: int) -> str:
    """The message of the draw's pick number `pick` (0 first; 1, 2, … after a prize ran out)."""
    return draw_input_ if pick == 0 else f"{draw_input_}:{pick}"


def uniform(seed: bytes, message: str, n: int) -> int:
    """A whole number in [0, n) from HMAC-SHA256(seed, message), without modulo bias: a 256-bit
    value at or above the largest multiple of n below 2^256 is rejected and the HMAC of
    `message#1`, `message#2`, … is taken instead (for n < 2^40, once in 2^216 draws)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    limit = _SPAN - _SPAN % n
    attempt = 0
    while True:
        text = message if attempt == 0 else f"{message}#{attempt}"
        value = int.from_bytes(hmac.new(seed, text.encode(), hashlib.sha256).digest(), "big")
        if value < limit:
            return value % n
        attempt += 1


def choose(weights: list[tuple[int, int]], value: int) -> int:
    """The prize id whose share of [0, Σ weights) holds `value`; `weights` in prize-id order."""
    for prize_id, weight in weights:
        if value < weight:
            return prize_id
        value -= weight
    raise ValueError("value beyond the total weight")


def pick(seed: bytes, message: str, weights: list[tuple[int, int]]) -> tuple[int, int]:
    """(the random value, the prize id) of one pick."""
    value = uniform(seed, message, sum(w for _id, w in weights))
    return value, choose(weights, value)


def verify(seed: bytes, seed_commitment: str, draw_input_: str, picks: list[dict],
           prize_id: int | None) -> list[str]:
    """What does not add up in a recorded draw (empty when every pick recomputes): the seed
    against its commitment, each pick's value and prize, and the prize the draw ended with."""
    problems = []
    if commitment(seed) != seed_commitment:
        problems.append("the seed does not match its commitment")
    for number, recorded in enumerate(picks):
        weights = [tuple(pair) for pair in recorded["weights"]]
        value, chosen = pick(seed, pick_message(draw_input_, number), weights)
        if (value, chosen) != (recorded["value"], recorded["prize_id"]):
            problems.append(f"pick {number}: recomputed value {value} → prize {chosen}, "
                            f"recorded {recorded['value']} → prize {recorded['prize_id']}")
    taken = [p["prize_id"] for p in picks if p.get("taken")]
    if taken != ([prize_id] if prize_id is not None else []):
        problems.append(f"the draw's prize {prize_id} is not its one taken pick {taken}")
    return problems
