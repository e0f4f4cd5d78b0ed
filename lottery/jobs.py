"""The lottery's background job (scheduled by app.py): seeds committed ahead, revealed after.
Idempotent; `flask lottery seeds` runs it by hand."""
from core import clock
from core.db import run_in_transaction
from lottery import seeds


def rotate_seeds() -> dict:
    """Hourly: commit the seeds of today's and tomorrow's periods of every running lottery
    (published before their period starts) and reveal those of periods that have ended."""
    now = clock.now()
    made = run_in_transaction(lambda: seeds.commit_upcoming(now))
    revealed = 0
    while n := run_in_transaction(lambda: seeds.reveal_ended(now)):
        revealed += n
        if n < 500:
            break
    return {"seeds_committed": made, "seeds_revealed": revealed}
