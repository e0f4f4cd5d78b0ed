from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Base, db
from core.model_registry import import_all_models


def test_migrations_match_the_models():
    """The suite's schema was built by the migrations; autogenerate must find nothing to add."""
    import_all_models()
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    diff = compare_metadata(context, Base.metadata)
    assert diff == []
