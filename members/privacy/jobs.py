"""The deletion job (scheduled by app.py): completes account deletions whose cooling-off has
ended, one member per transaction, so it can be killed and rerun."""
import logging
from datetime import date

from core import clock
from core.db import run_in_transaction
from members.privacy import deletion

log = logging.getLogger(__name__)


def complete_deletions(as_of: str | None = None, chunk: int = 100) -> dict:
    """Complete every deletion due by now (or by the end of business day `as_of`). A member
    whose completion fails is logged and left pending for the next run."""
    now = clock.end_of_business_day(date.fromisoformat(as_of)) if as_of else clock.now()
    done, failed, cursor = 0, 0, 0
    while ids := run_in_transaction(lambda c=cursor: deletion.due(now, c, chunk)):
        for request_id in ids:
            try:
                done += run_in_transaction(lambda i=request_id: deletion.complete(i, now))
            except Exception:  # one member's failure must not stop the others
                failed += 1
                log.exception("member deletion request %s failed; left pending", request_id)
        cursor = ids[-1]
    return {"completed": done, **({"failed": failed} if failed else {})}
