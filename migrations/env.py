"""Alembic environment: runs against the app's engine (DATABASE_URL) and Base.metadata, which
create_app completed by importing every model module (app.MODEL_MODULES)."""
from alembic import context
from flask import current_app

from core.db import Base


def run_migrations_online():
    engine = current_app.extensions["jifen_db"].engine
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          compare_type=True, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def run_migrations_offline():
    context.configure(url=current_app.config["DATABASE_URL"], target_metadata=Base.metadata,
                      literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
