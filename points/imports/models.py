"""An uploaded bulk points file and its rows, with what the dry run and the run made of each."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime

CHECKED, QUEUED, RUNNING, DONE = "checked", "queued", "running", "done"


class PointsImport(Base):
    __tablename__ = "points_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: SHA-256 of the file's bytes: the rows' ledger keys start with it
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    #: checked (dry run done) → queued → running → done
    status: Mapped[str] = mapped_column(String(8), default=CHECKED)
    rows_total: Mapped[int]
    #: rows the dry run found fit to run
    rows_ok: Mapped[int]
    #: the run's cursor: rows up to this row number are done (committed with their chunk)
    rows_done: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PointsImportRow(Base):
    __tablename__ = "points_import_rows"
    __table_args__ = (UniqueConstraint("import_id", "row_no"),
                      Index("ix_points_import_rows_import_outcome", "import_id", "outcome"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_imports.id"))
    #: the line in the file, the header being line 1
    row_no: Mapped[int]
    #: the phone or member number as written in the file
    identifier: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(BigId)
    delta: Mapped[int | None] = mapped_column(BigId)
    reason: Mapped[str | None] = mapped_column(Text)
    #: the dry run's verdict: ok, unknown_member, would_go_negative, duplicate_row,
    #: bad_number, no_reason
    outcome: Mapped[str] = mapped_column(String(20))
    #: the run's: applied, already_applied (an earlier run of the same file), insufficient_points
    result: Mapped[str | None] = mapped_column(String(20))
    balance_after: Mapped[int | None] = mapped_column(BigId)
