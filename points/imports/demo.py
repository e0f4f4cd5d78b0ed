"""The demo's bulk points file: a few members compensated for an outage, one row for a member
who does not exist, run — so the console's bulk points page has a file, its dry run and its
report to show. Safe to run again: the same file is checked and run once."""
from sqlalchemy import select

from core.db import db
from members.models import STATUS_ACTIVE, Member
from points.imports import checking, running
from points.imports.models import PointsImport
from stores.models import Staff

FILENAME = "demo-outage-compensation.csv"


def seed_demo() -> list[str]:
    if db.session.scalars(select(PointsImport).filter_by(filename=FILENAME)).first():
        return []
    admin = db.session.scalars(select(Staff).filter_by(username="admin")).one_or_none()
    numbers = db.session.scalars(select(Member.member_no).where(Member.status == STATUS_ACTIVE)
                                 .order_by(Member.id).limit(5)).all()
    if admin is None or not numbers:
        return []
    text = "member_no,delta,reason\n" + "".join(f"{no},20,系统故障补偿（演示）\n" for no in numbers)
    text += "M00000000,20,系统故障补偿（演示）\n"
    sheet = checking.check_file(FILENAME, text.encode("utf-8-sig"), admin)
    running.queue_run(sheet.id)
    while not running.run_chunk(sheet.id):
        pass
    return [f"Bulk points: {FILENAME} run for {sheet.rows_ok} members "
            "(console: HQ → Bulk points, as admin)"]

