"""Running a checked bulk points file: its fit rows credit or debit through points.ledger, one
chunk per transaction, the import's `rows_done` the cursor committed with each chunk."""
from sqlalchemy import func, select

from core import audit, clock
from core.db import db
from core.pagination import paginate
from core.worker import enqueue_after_commit
from core.errors import Conflict, NotFound
from members.models import Member
from points import ledger
from points.imports.checking import OK
from points.imports.models import CHECKED, DONE, QUEUED, RUNNING, PointsImport, PointsImportRow

APPLIED, ALREADY_APPLIED, INSUFFICIENT = "applied", "already_applied", "insufficient_points"
CHUNK = 500
JOB = "points.imports.jobs:run_import"
#: the kind of the entries a bulk file makes: a correction by HQ, with the row's reason
KIND = "adjust"


def get_import(import_id: int) -> PointsImport:
    sheet = db.session.get(PointsImport, import_id)
    if sheet is None:
        raise NotFound(f"No bulk points file {import_id}.")
    return sheet


def row_key(sheet: PointsImport, row_no: int) -> str:
    """The ledger key of a row: the file's content and the row, so the same file uploaded again
    (another import) meets its first run's entries and moves nothing twice."""
    return f"import:{sheet.sha256}:{row_no}"


def queue_run(import_id: int) -> PointsImport:
    """Run a checked import as a job (jobs:run_import, queued once the transaction commits);
    409 once it has been queued. Audited as `points.import_run`."""
    sheet = db.session.get(PointsImport, import_id, with_for_update=True)
    if sheet is None:
        raise NotFound(f"No bulk points file {import_id}.")
    if sheet.status != CHECKED:
        raise Conflict("This file has already been run.", code="invalid_state")
    sheet.status = QUEUED
    db.session.flush()
    audit.record("points.import_run", "points_import", sheet.id,
                 after={"filename": sheet.filename, "sha256": sheet.sha256,
                        "rows_ok": sheet.rows_ok})
    enqueue_after_commit(JOB, sheet.id)
    return sheet


def resume(import_id: int) -> None:
    """Queue a started run again (its worker died): it goes on from its last chunk."""
    if get_import(import_id).status in (QUEUED, RUNNING):
        enqueue_after_commit(JOB, import_id)


def run_chunk(import_id: int, chunk: int = CHUNK) -> bool:
    """Apply the next `chunk` rows after the cursor; True once the file is done."""
    sheet = db.session.get(PointsImport, import_id, with_for_update=True)
    if sheet is None or sheet.status == DONE:
        return True
    if sheet.status != RUNNING:
        sheet.status, sheet.started_at = RUNNING, sheet.started_at or clock.now()
    rows = db.session.scalars(
        select(PointsImportRow).where(PointsImportRow.import_id == import_id,
                                      PointsImportRow.row_no > sheet.rows_done)
        .order_by(PointsImportRow.row_no).limit(chunk)).all()
    for row in rows:
        if row.outcome == OK:
            _apply(sheet, row)
    if rows:
        sheet.rows_done = rows[-1].row_no
    if len(rows) < chunk:
        sheet.status, sheet.finished_at = DONE, clock.now()
    db.session.flush()
    return sheet.status == DONE


def _apply(sheet, row) -> None:
    kwargs = dict(kind=KIND, key=row_key(sheet, row.row_no), reason=row.reason,
                  operator_id=sheet.uploaded_by_id, ref=("points_import", sheet.id))
    try:
        entry = (ledger.credit(row.member_id, row.delta, **kwargs) if row.delta > 0
                 else ledger.debit(row.member_id, -row.delta, **kwargs))
    except ledger.InsufficientPoints:
        row.result = INSUFFICIENT
        return
    row.result = APPLIED if entry.ref_id == str(sheet.id) else ALREADY_APPLIED
    row.balance_after = entry.balance_after


def progress(sheet: PointsImport) -> dict:
    """How far a run is (rows done of the total) and what each result counts."""
    counts = dict(db.session.execute(
        select(func.coalesce(PointsImportRow.result, PointsImportRow.outcome), func.count())
        .where(PointsImportRow.import_id == sheet.id)
        .group_by(func.coalesce(PointsImportRow.result, PointsImportRow.outcome))).all())
    last = db.session.scalar(select(func.max(PointsImportRow.row_no))
                             .where(PointsImportRow.import_id == sheet.id)) or 0
    done = sheet.status == DONE
    return {"status": sheet.status, "counts": counts,
            "percent": 100 if done or not last else min(99, 100 * sheet.rows_done // last)}


def recent_imports(limit: int = 20) -> list[PointsImport]:
    return db.session.scalars(select(PointsImport).order_by(PointsImport.id.desc())
                              .limit(limit)).all()


def rows_page(import_id: int, *, limit: int, cursor=None, outcome=None) -> dict:
    """A page of an import's rows in file order; `outcome`: the dry run's verdict or the run's
    result to show only those rows ("problems": every row the dry run did not find fit)."""
    stmt = select(PointsImportRow).where(PointsImportRow.import_id == import_id)
    if outcome == "problems":
        stmt = stmt.where(PointsImportRow.outcome != OK)
    elif outcome:
        stmt = stmt.where((PointsImportRow.outcome == outcome)
                          | (PointsImportRow.result == outcome))
    return paginate(db.session, stmt, PointsImportRow.id, limit=limit, cursor=cursor,
                    descending=False)


def report_rows(import_id: int, chunk: int = 5000):
    """Every row of an import in file order, read a chunk at a time (the CSV report)."""
    after = 0
    while True:
        rows = db.session.execute(
            select(PointsImportRow.id, PointsImportRow.row_no, PointsImportRow.identifier,
                   Member.member_no, PointsImportRow.delta, PointsImportRow.reason,
                   PointsImportRow.outcome,
                   PointsImportRow.result, PointsImportRow.balance_after)
            .outerjoin(Member, Member.id == PointsImportRow.member_id)
            .where(PointsImportRow.import_id == import_id, PointsImportRow.id > after)
            .order_by(PointsImportRow.id).limit(chunk)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id
