"""Bulk points: the dry run's verdict on every row, the file's encodings, and a run that moves
points once however often the same file is uploaded and run, chunk by chunk."""
import time

import pytest

from core import clock
from core.db import db
from members.models import Member
from points import ledger
from points.imports import checking, jobs, running
from points.imports.models import PointsImportRow
from points.ledger.models import PointsAccount
from sqlalchemy import func, select


@pytest.fixture
def hq(factory):
    return factory.staff("hq_admin", username="hq.bulk")


def balance(member) -> int:
    return ledger.spendable_balance(member.id)


def outcomes(sheet) -> dict[int, str]:
    return dict(db.session.execute(select(PointsImportRow.row_no, PointsImportRow.outcome)
                                   .where(PointsImportRow.import_id == sheet.id)).all())


def run(sheet, chunk=500):
    running.queue_run(sheet.id)
    db.session.commit()
    return jobs.run_import(sheet.id, chunk)


def test_the_dry_run_names_every_problem_and_moves_nothing(factory, hq):
    rich, poor = factory.member(points=100), factory.member(phone="+8613800138000", points=10)
    text = ("member_no,delta,reason\n"
            f"{rich.member_no},50,补偿\n"
            f"{rich.member_no},50,补偿\n"            # the same row again
            "M404,10,补偿\n"                          # nobody has this number
            f"{poor.member_no},-30,扣回\n"           # 10 points only
            f"{rich.member_no},1.5,补偿\n"           # not a whole number
            f"{rich.member_no},abc,补偿\n"
            f"{rich.member_no},20,\n")               # no reason
    sheet = checking.check_file("a.csv", text.encode(), hq)
    assert outcomes(sheet) == {2: "ok", 3: "duplicate_row", 4: "unknown_member",
                               5: "would_go_negative", 6: "bad_number", 7: "bad_number",
                               8: "no_reason"}
    assert (sheet.rows_total, sheet.rows_ok) == (7, 1)
    assert (balance(rich), balance(poor)) == (100, 10)


def test_phones_in_gbk_with_chinese_headers_as_excel_saves_them(factory, hq):
    member = factory.member(phone="+8613800138001")
    data = "手机号,积分,原因\n138 0013 8001,30,门店活动补发\n".encode("gbk")
    sheet = checking.check_file("excel.csv", data, hq)
    assert outcomes(sheet) == {2: "ok"}
    run(sheet)
    assert balance(member) == 30
    assert ledger.list_entries(member.id, limit=1)["items"][0].reason == "门店活动补发"


def test_a_bom_and_a_header_without_the_columns(factory, hq):
    member = factory.member()
    sheet = checking.check_file("bom.csv", f"\ufeffmember_no,delta,reason\n{member.member_no},5,x\n"
                                .encode("utf-8"), hq)
    assert outcomes(sheet) == {2: "ok"}
    with pytest.raises(checking.ValidationFailed):
        checking.check_file("bad.csv", b"name,amount\nx,1\n", hq)


def test_the_same_file_uploaded_and_run_twice_moves_points_once(factory, hq):
    a, b = factory.member(points=100), factory.member()
    data = f"member_no,delta,reason\n{a.member_no},-40,扣回\n{b.member_no},25,补偿\n".encode()
    first = checking.check_file("x.csv", data, hq)
    run(first)
    assert (balance(a), balance(b)) == (60, 25)
    second = checking.check_file("x (1).csv", data, hq)
    run(second)
    assert (balance(a), balance(b)) == (60, 25)
    results = dict(db.session.execute(select(PointsImportRow.row_no, PointsImportRow.result)
                                      .where(PointsImportRow.import_id == second.id)).all())
    assert results == {2: "already_applied", 3: "already_applied"}
    with pytest.raises(running.Conflict):
        running.queue_run(first.id)  # a file runs once


def test_a_run_killed_between_chunks_goes_on_from_the_last_one(factory, hq):
    members = [factory.member() for _ in range(5)]
    data = ("member_no,delta,reason\n" + "".join(f"{m.member_no},{i + 1},r\n"
                                                 for i, m in enumerate(members))).encode()
    sheet = checking.check_file("k.csv", data, hq)
    running.queue_run(sheet.id)
    db.session.commit()
    assert running.run_chunk(sheet.id, 2) is False  # two rows, then the worker dies
    db.session.commit()
    assert [balance(m) for m in members] == [1, 2, 0, 0, 0]
    jobs.run_import(sheet.id, 2)  # queued again
    jobs.run_import(sheet.id, 2)  # and once more, by mistake: nothing moves twice
    assert [balance(m) for m in members] == [1, 2, 3, 4, 5]
    assert running.progress(running.get_import(sheet.id))["percent"] == 100


def test_a_debit_short_at_the_run_is_reported_not_applied(factory, hq):
    member = factory.member(points=50)
    sheet = checking.check_file("s.csv", f"member_no,delta,reason\n{member.member_no},-50,r\n"
                                .encode(), hq)
    ledger.debit(member.id, 20, kind="spend", key="spent-meanwhile")
    db.session.commit()
    run(sheet)
    row = db.session.scalars(select(PointsImportRow)
                             .where(PointsImportRow.import_id == sheet.id)).one()
    assert row.result == "insufficient_points" and balance(member) == 30


@pytest.mark.committing
def test_five_thousand_rows_import(factory, hq):
    """On the suite's database (MariaDB when it is reachable), committing every chunk; the
    100,000-row run is bench/bulk_points.py's (minutes on this machine)."""
    rows = 5000
    db.session.add_all(Member(member_no=f"B{n:08d}", invite_code=f"B{n:07d}",
                              created_at=clock.now()) for n in range(rows))
    db.session.commit()
    data = ("member_no,delta,reason\n" + "".join(f"B{n:08d},{n % 7 + 1},批量\n"
                                                 for n in range(rows))).encode()
    started = time.perf_counter()
    sheet = checking.check_file("big.csv", data, hq)
    db.session.commit()
    assert sheet.rows_ok == rows
    run(sheet)
    assert running.progress(running.get_import(sheet.id))["counts"] == {"applied": rows}
    total = db.session.scalar(select(func.sum(PointsAccount.balance)))
    assert total == sum(n % 7 + 1 for n in range(rows))
    assert time.perf_counter() - started < 600



def test_the_demo_file_runs_once(factory):
    from points.imports import demo

    factory.staff("hq_admin", username="admin")
    member = factory.member()
    assert "run for 1 members" in demo.seed_demo()[0]  # one member here; one unknown row
    assert ledger.spendable_balance(member.id) == 20
    assert demo.seed_demo() == [] and ledger.spendable_balance(member.id) == 20
