"""Invariant checks shared by the ledger tests (the same the nightly reconciliation runs)."""
from points.ledger import reconcile


def assert_ledger_consistent():
    cursor, problems = 0, []
    while cursor is not None:
        _n, found, cursor = reconcile.check_chunk(cursor, 1000)
        problems += found
    assert problems == []
