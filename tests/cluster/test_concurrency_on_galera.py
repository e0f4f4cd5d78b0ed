"""The concurrency tests that prove the ledger's and the mall's promises, run again on the
Galera cluster with each request's connection on any of three nodes: there a `FOR UPDATE`
locks one node only, and two nodes' conflicting writes meet at COMMIT (1213), so each promise
must hold by unique keys and guarded UPDATEs and the whole transaction runs again. The tests
are the suite's own, collected here a second time on the cluster's fixtures."""
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.mall.test_mall_concurrency import (  # noqa: F401
    test_200_requests_from_40_members_for_20_units_sell_exactly_20,
    test_64_claims_of_a_one_unit_coupon_issue_one,
    test_ten_redemptions_on_a_balance_for_one_one_succeeds,
    test_ten_cancels_return_the_points_once)
from tests.points.earning.test_order_storm import (  # noqa: F401
    test_a_storm_of_identical_orders_credits_once)
from tests.points.ledger.test_ledger_concurrency import (  # noqa: F401
    test_same_key_from_ten_threads_makes_one_entry,
    test_twenty_debits_of_ten_against_fifty_exactly_five_succeed,
    test_credit_debit_expire_and_merge_interleaved_keep_the_invariants)
from tests.points.ledger.test_ledger_properties import LedgerMachine
from tests.tasks.test_checkins import test_twenty_taps_at_once_pay_once  # noqa: F401

pytestmark = pytest.mark.cluster


@pytest.mark.timeout(600)
def test_ledger_invariants_hold_under_random_operations_on_galera(factory):
    """The ledger's state machine (fewer examples: the cluster's commits cost more)."""
    LedgerMachine.factory = factory
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
