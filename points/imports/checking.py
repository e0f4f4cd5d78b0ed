"""Reading a bulk points file and the dry run: every row's outcome before anything moves.

A file is CSV with a header naming `phone` or `member_no`, `delta` and `reason` (or their
Chinese names as HQ types them in Excel), in UTF-8 with or without a BOM, or GBK as Excel saves
it on a Chinese Windows."""
import csv
import hashlib
import io
import re
from dataclasses import dataclass

from sqlalchemy import insert, or_, select

from core import audit, clock
from core.db import db
from core.errors import ValidationFailed
from members.lookup import follow_merges
from members.models import STATUS_ACTIVE, STATUS_MERGED, Member
from members.phones import to_e164
from points.imports.models import PointsImport, PointsImportRow
from points.ledger.models import PointsAccount

OK, UNKNOWN_MEMBER, WOULD_GO_NEGATIVE = "ok", "unknown_member", "would_go_negative"
DUPLICATE_ROW, BAD_NUMBER, NO_REASON = "duplicate_row", "bad_number", "no_reason"
OUTCOMES = (OK, UNKNOWN_MEMBER, WOULD_GO_NEGATIVE, DUPLICATE_ROW, BAD_NUMBER, NO_REASON)
#: a file's size and rows at most (the view lets the request body be this large)
MAX_BYTES = 16 * 1024 * 1024
MAX_ROWS = 200_000
#: points one row may move at most, either way
MAX_DELTA = 1_000_000
#: header names (lower-cased, stripped) → the column they are
COLUMNS = {"phone": "phone", "手机号": "phone", "手机": "phone", "手机号码": "phone",
           "member_no": "member_no", "会员号": "member_no", "会员编号": "member_no",
           "delta": "delta", "积分": "delta", "积分变动": "delta", "points": "delta",
           "reason": "reason", "原因": "reason", "备注": "reason"}
INTEGER = re.compile(r"[+-]?\d{1,9}")
LOOKUP_CHUNK = 1000


@dataclass
class Line:
    row_no: int
    identifier: str
    column: str  # phone or member_no
    delta_text: str
    reason: str


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), else GB18030 (GBK's superset, Excel's)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationFailed(details={"file": ["Not UTF-8 or GBK text."]}) from None


def read_lines(text: str) -> list[Line]:
    """The data rows (row 1 is the header); 422 `file` for a header without the columns."""
    reader = csv.reader(io.StringIO(text))
    header = [COLUMNS.get(name.strip().lower()) for name in next(reader, [])]
    ident = "member_no" if "member_no" in header else "phone" if "phone" in header else None
    if ident is None or "delta" not in header:
        raise ValidationFailed(details={"file": [
            "The first row must name the columns: phone or member_no, delta, reason."]})
    where = {name: header.index(name) for name in ("phone", "member_no", "delta", "reason")
             if name in header}
    lines = []
    for row_no, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(lines) == MAX_ROWS:
            raise ValidationFailed(details={"file": [f"At most {MAX_ROWS} rows."]})
        value = {name: cells[i].strip() if i < len(cells) else "" for name, i in where.items()}
        column = "phone" if value.get("phone") else ident
        lines.append(Line(row_no, value.get(column, "")[:64], column, value["delta"],
                          value.get("reason", "")))
    return lines


def check_file(filename: str, data: bytes, staff) -> PointsImport:
    """Read and dry-run an uploaded file: an import whose rows each say what running it would
    do (ok, unknown_member, would_go_negative, duplicate_row, bad_number, no_reason). Writes
    no points. Audited as `points.import_check`."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed(details={"file": [f"At most {MAX_BYTES // (1024 * 1024)} MiB."]})
    lines = read_lines(decode(data))
    members = _resolve(lines)
    balances = _balances({m for m in members.values() if m})
    rows = list(_outcomes(lines, members, balances))
    now = clock.now()
    sheet = PointsImport(sha256=hashlib.sha256(data).hexdigest(), filename=filename[:200],
                         rows_total=len(rows), rows_ok=sum(r["outcome"] == OK for r in rows),
                         rows_done=0, uploaded_by_id=staff.id, created_at=now)
    db.session.add(sheet)
    db.session.flush()
    for start in range(0, len(rows), LOOKUP_CHUNK):
        db.session.execute(insert(PointsImportRow.__table__),
                           [{**row, "import_id": sheet.id}
                            for row in rows[start:start + LOOKUP_CHUNK]])
    audit.record("points.import_check", "points_import", sheet.id,
                 after={"filename": sheet.filename, "sha256": sheet.sha256,
                        "rows": sheet.rows_total, "rows_ok": sheet.rows_ok})
    return sheet


def _outcomes(lines, members, balances):
    """Each line's row: its member, delta and the dry run's verdict, in file order."""
    seen, running = set(), dict(balances)
    for line in lines:
        member_id = members.get((line.column, line.identifier))
        delta = int(line.delta_text) if INTEGER.fullmatch(line.delta_text) else None
        outcome = OK
        if delta is None or delta == 0 or abs(delta) > MAX_DELTA:
            outcome, delta = BAD_NUMBER, None
        elif member_id is None:
            outcome = UNKNOWN_MEMBER
        elif not line.reason:
            outcome = NO_REASON
        elif (member_id, delta, line.reason) in seen:
            outcome = DUPLICATE_ROW
        elif running.get(member_id, 0) + delta < 0:
            outcome = WOULD_GO_NEGATIVE
        if outcome == OK:
            seen.add((member_id, delta, line.reason))
            running[member_id] = running.get(member_id, 0) + delta
        yield {"row_no": line.row_no, "identifier": line.identifier or "", "member_id": member_id,
               "delta": delta, "reason": line.reason[:500] or None, "outcome": outcome}


def _resolve(lines) -> dict:
    """(column, identifier) → the member's id (following merges), None when there is none."""
    by_no = {line.identifier for line in lines if line.column == "member_no" and line.identifier}
    by_phone = {line.identifier: to_e164(line.identifier) for line in lines
                if line.column == "phone" and line.identifier}
    found: dict = {}
    numbers, phones = sorted(by_no), sorted({p for p in by_phone.values() if p})
    for start in range(0, max(len(numbers), len(phones)), LOOKUP_CHUNK):
        end = start + LOOKUP_CHUNK
        some_nos, some_phones = numbers[start:end], phones[start:end]
        for member in db.session.execute(
                select(Member.id, Member.member_no, Member.phone, Member.status,
                       Member.merged_into_id)
                .where(or_(Member.member_no.in_(some_nos), Member.phone.in_(some_phones)))):
            member_id = _live_id(member)
            found[("member_no", member.member_no)] = member_id
            if member.phone:
                found[("phone", member.phone)] = member_id
    resolved = {("member_no", no): found.get(("member_no", no)) for no in by_no}
    resolved.update({("phone", text): found.get(("phone", phone)) if phone else None
                     for text, phone in by_phone.items()})
    return resolved


def _live_id(row) -> int | None:
    if row.status == STATUS_ACTIVE:
        return row.id
    if row.status == STATUS_MERGED:
        survivor = follow_merges(db.session.get(Member, row.id))
        return survivor.id if survivor is not None and survivor.status == STATUS_ACTIVE else None
    return None


def _balances(member_ids) -> dict[int, int]:
    ids, balances = sorted(member_ids), {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        balances.update(db.session.execute(
            select(PointsAccount.member_id, PointsAccount.balance)
            .where(PointsAccount.member_id.in_(ids[start:start + LOOKUP_CHUNK]))).all())
    return balances
