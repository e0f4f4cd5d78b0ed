"""Write guards: a row that transactions deciding on the same set of rows all write, so that
they conflict where a lock alone would not.

A rule that reads several rows and then writes only some of them ("at least one active HQ
admin": A demotes B while B demotes A) is kept on one server by `SELECT … FOR UPDATE`. On a
Galera cluster that lock holds on one node only; two nodes' transactions that wrote different
rows certify without conflict and both commit (write skew). `guard("hq_admins")` makes each
of them also write the guard's row: the second to commit fails certification (1213), the
request boundary runs it again, and the rerun sees the first one's change. On one server it is
one more row lock, taken first.
"""
from sqlalchemy import String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, db


class WriteGuard(Base):
    __tablename__ = "write_guards"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: bumped by every transaction that takes the guard: the write Galera certifies
    version: Mapped[int] = mapped_column(default=0)


def guard(name: str) -> None:
    """Write the guard `name` in the current transaction (created on first use)."""
    if db.session.get_bind().dialect.name == "sqlite":  # one writer at a time already
        return
    db.session.execute(text("INSERT INTO write_guards (name, version) VALUES (:name, 1) "
                            "ON DUPLICATE KEY UPDATE version = version + 1"), {"name": name})
