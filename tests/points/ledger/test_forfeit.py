"""Forfeiture: a deleted account's balance leaves the ledger, once, and stays gone."""
import pytest
from sqlalchemy import select

from core.db import db
from core.errors import Conflict
from members.models import STATUS_DELETED
from points import ledger
from points.ledger.models import PointsAccount, PointsEntry, PointsLot
from tests.points.ledger_checks import assert_ledger_consistent


def balance(member):
    return db.session.get(PointsAccount, member.id, populate_existing=True).balance


def test_forfeit_empties_every_lot_once(factory):
    member = factory.member()
    earned = factory.credit(member, 300)
    factory.credit(member, 200, kind="bonus")
    entry = ledger.forfeit(member.id, reason="closed")
    assert (entry.kind, entry.delta, entry.balance_after) == ("forfeit", -500, 0)
    assert ledger.forfeit(member.id).id == entry.id
    assert balance(member) == 0
    assert all(lot.remaining == 0 for lot in db.session.scalars(
        select(PointsLot).where(PointsLot.member_id == member.id)))
    # a refund takes nothing a second time
    assert ledger.reverse(earned.id, key="refund:after-forfeit", up_to=True) is None
    with pytest.raises(Conflict):
        ledger.reverse(earned.id, key="refund-after-forfeit")
    assert_ledger_consistent()


def test_nothing_to_forfeit_writes_no_entry(factory):
    member = factory.member()
    assert ledger.forfeit(member.id) is None
    assert db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member.id)).all() == []


def test_points_returned_to_a_deleted_account_leave_again(factory):
    member = factory.member(points=300)
    deduction = ledger.debit(member.id, 100, kind="deduct", key="deduct-1")
    ledger.forfeit(member.id)
    member.status = STATUS_DELETED
    db.session.flush()
    ledger.reverse(deduction.id, key="refund-deduction-1")
    assert balance(member) == 0
    kinds = db.session.scalars(select(PointsEntry.kind).where(PointsEntry.member_id == member.id)
                               .order_by(PointsEntry.id)).all()
    assert kinds[-2:] == ["reverse", "forfeit"]
    assert_ledger_consistent()
