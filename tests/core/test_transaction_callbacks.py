"""core.db's transaction boundary: after-commit and on-rollback callbacks."""
import pytest

from core.db import after_commit, last_before_commit, on_rollback, run_in_transaction


def test_on_rollback_runs_only_when_the_transaction_rolls_back(app):
    ran = []

    def fail():
        on_rollback(lambda: ran.append("undo"))
        after_commit(lambda: ran.append("sent"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_in_transaction(fail)
    assert ran == ["undo"]
    run_in_transaction(lambda: [on_rollback(lambda: ran.append("undo again")),
                                after_commit(lambda: ran.append("sent"))])
    assert ran == ["undo", "sent"]
    run_in_transaction(lambda: None, should_commit=lambda _result: False)
    assert ran == ["undo", "sent"]  # nothing left over from the committed transaction


def test_last_before_commit_runs_after_the_work_and_its_error_rolls_back(app):
    ran = []

    def work(fail):
        last_before_commit(lambda: ran.append("last") or (fail and 1 / 0))
        on_rollback(lambda: ran.append("undo"))
        after_commit(lambda: ran.append("sent"))
        ran.append("work")

    run_in_transaction(lambda: work(False))
    assert ran == ["work", "last", "sent"]
    with pytest.raises(ZeroDivisionError):
        run_in_transaction(lambda: work(True))
    assert ran[3:] == ["work", "last", "undo"]
    run_in_transaction(lambda: None)
    assert len(ran) == 6  # nothing left over for the next transaction


def test_a_failing_undo_does_not_hide_the_rollback(app):
    def fail():
        on_rollback(lambda: 1 / 0)
        raise KeyError("the real error")

    with pytest.raises(KeyError):
        run_in_transaction(fail)


def test_a_deadlock_that_broke_a_savepoint_is_retried():
    """MariaDB drops the whole transaction on a deadlock; rolling back to the savepoint then
    fails with 1305, whose context is the deadlock: the transaction is run again."""
    from sqlalchemy.exc import OperationalError

    from core.db import is_retryable

    def error(code):
        return OperationalError("stmt", {}, Exception(code, "message"))

    try:
        try:
            raise error(1213)
        except OperationalError:
            raise error(1305)
    except OperationalError as broken_savepoint:
        assert is_retryable(broken_savepoint)
    assert not is_retryable(error(1305)) and not is_retryable(error(1062))


def test_work_that_asks_to_run_again_is_run_again(app):
    """RetryTransaction: the work learnt late that its early decision no longer holds."""
    from core.db import RetryTransaction

    attempts = []

    def work():
        attempts.append(1)
        if len(attempts) == 1:
            raise RetryTransaction("the budget filled up meanwhile")
        return "second time"

    assert run_in_transaction(work) == "second time" and len(attempts) == 2
