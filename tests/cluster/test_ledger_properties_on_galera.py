"""The ledger's state machine on the cluster (fewer examples: each commit is certified by three
nodes): the ledger's SQL — the expiry sweep's temporary chunk table among it — keeps every
invariant on Galera."""
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.points.ledger.test_ledger_properties import LedgerMachine

pytestmark = pytest.mark.cluster


@pytest.mark.timeout(600)
def test_ledger_invariants_hold_under_random_operations_on_galera(factory):
    LedgerMachine.factory = factory
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
