from datetime import datetime, timedelta, timezone

import pytest

from core import clock
from core.db import db
from tasks import service

SH = timezone(timedelta(hours=8))


@pytest.fixture
def make_task():
    def make(kind, **fields):
        task = service.save_task({"kind": kind, "title": fields.pop("title", kind),
                                  "config": fields.pop("config"), **fields})
        db.session.commit()
        return task

    return make


@pytest.fixture
def at():
    """at(y, m, d, hh, mm=0, ss=0): move the clock to that Shanghai time."""
    def move(*parts):
        clock.set(datetime(*parts, tzinfo=SH))

    yield move
    clock.set(None)
