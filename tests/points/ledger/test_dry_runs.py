"""The backfill's dry run as the console's job (points.ledger.dry_runs): one run per policy,
its lots read chunk by chunk in its state while it runs, its figures once it has finished."""
from points.ledger import backfill, dry_runs

THIRTY_DAYS = {"mode": "fixed_days", "days": 30, "years": None, "birthday_extension_days": 0}


def test_a_policy_is_one_run_whatever_the_order_of_its_keys():
    again = dict(reversed(list(THIRTY_DAYS.items())))
    assert dry_runs.run_id(again) == dry_runs.run_id(THIRTY_DAYS)
    assert dry_runs.run_id({**THIRTY_DAYS, "days": 31}) != dry_runs.run_id(THIRTY_DAYS)


def test_the_run_keeps_the_lots_read_so_far_then_its_figures(factory, monkeypatch):
    for points in (10, 20, 30):
        factory.member(points=points)
    run, seen = dry_runs.run_id(THIRTY_DAYS), []
    real = backfill.dry_run

    def in_chunks_of_one(policy, progress):
        def looked_at(lots_read):
            progress(lots_read)
            now = dry_runs.state(run)
            seen.append((now["status"], now["lots_read"]))

        return real(policy, chunk=1, progress=looked_at)

    monkeypatch.setattr(backfill, "dry_run", in_chunks_of_one)
    result = dry_runs.work_out(run, THIRTY_DAYS)
    assert seen == [("running", 1), ("running", 2), ("running", 3)]
    assert result["lots"] == 3 and result["points"] == 60
    assert dry_runs.state(run)["status"] == "finished"
    assert dry_runs.state(run)["result"] == {"lots": 3, "points": 60, "members": 3,
                                             "due_points": 0, "due_members": 0}
    assert dry_runs.state("not-a-run") is None
