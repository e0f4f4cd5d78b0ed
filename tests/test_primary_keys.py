"""Galera replicates a table's rows by primary key (a table without one replicates badly or
not at all: MariaDB's "Galera known limitations"), so every table has one."""
from core.db import Base


def test_every_table_has_a_primary_key(app):
    assert [t.name for t in Base.metadata.sorted_tables if not t.primary_key.columns] == []


def test_every_table_in_the_migrated_schema_has_a_primary_key(app):
    from sqlalchemy import inspect

    from core.db import db

    inspector = inspect(db.session.connection())
    missing = [name for name in inspector.get_table_names()
               if not inspector.get_pk_constraint(name)["constrained_columns"]]
    assert missing == []
