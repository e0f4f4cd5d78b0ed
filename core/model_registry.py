"""Imports every module that defines tables, so Base.metadata is complete (Alembic, tests)."""
from importlib import import_module

MODEL_MODULES = [
    "core.audit",
    "core.idempotency",
    "stores.models",
    "members.models",
    "points.ledger.models",
    "points.programme.models",
    "points.earning.models",
    "mall.models",
    "tasks.models",
    "points.reminders.planning",
    "wx.templates",
]


def import_all_models() -> None:
    for name in MODEL_MODULES:
        import_module(name)
