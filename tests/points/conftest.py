import pytest

from core.db import db
from points.programme.settings import update_settings


@pytest.fixture
def shop(factory, pos_client):
    """A store with its POS client."""
    store = factory.store(code="SH001")
    return store, pos_client(store)


@pytest.fixture
def settings():
    def update(**sections):
        update_settings(sections)
        db.session.commit()

    return update
