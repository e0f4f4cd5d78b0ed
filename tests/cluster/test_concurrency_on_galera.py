"""The concurrency tests that prove the ledger's, the mall's and the staff accounts' promises,
run again on the Galera cluster with each request's connection on any of three nodes: there a
`FOR UPDATE` locks one node only, and two nodes' conflicting writes meet at COMMIT (1213), so
each promise must hold by unique keys, guarded UPDATEs and write guards (core.guards), and the
whole transaction runs again. The tests are the suite's own, collected here a second time on
the cluster's fixtures (their modules' `committing` mark restated: a module's pytestmark does
not travel with an imported test)."""
import pytest

from tests.mall.test_mall_concurrency import (  # noqa: F401  flash sale, double spend
    test_200_requests_from_40_members_for_20_units_sell_exactly_20,
    test_64_claims_of_a_one_unit_coupon_issue_one,
    test_ten_cancels_return_the_points_once,
    test_ten_redemptions_on_a_balance_for_one_one_succeeds)
from tests.points.earning.test_order_storm import (  # noqa: F401  40 → 1 credit
    test_a_storm_of_identical_orders_credits_once)
from tests.points.ledger.test_ledger_concurrency import (  # noqa: F401
    test_credit_debit_expire_and_merge_interleaved_keep_the_invariants,
    test_same_key_from_ten_threads_makes_one_entry,
    test_twenty_debits_of_ten_against_fifty_exactly_five_succeed)
from tests.points.ledger.test_sweep_resume import (  # noqa: F401  its chunk table: not replicated
    test_a_sweep_killed_after_k_chunks_and_rerun_expires_each_lot_once)
from tests.stores.test_hq_lockout_race import (  # noqa: F401  write skew: core.guards
    test_two_admins_taking_each_other_away_at_once_leave_one)
from tests.tasks.test_checkins import test_twenty_taps_at_once_pay_once  # noqa: F401  20 → 1

pytestmark = [pytest.mark.cluster, pytest.mark.committing]
