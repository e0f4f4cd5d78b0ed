from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Base, db


def test_migrations_match_the_models(app):
    """The suite's schema was built by the migrations; autogenerate must find nothing to add
    (create_app imported every model module: app.MODEL_MODULES)."""
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    diff = compare_metadata(context, Base.metadata)
    assert diff == []
