from flask import Blueprint, jsonify
from sqlalchemy import text

from core.db import db
from core.redis import get_redis

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """200 {"status": "ok"} when the database and Redis answer; 503 with what failed otherwise."""
    checks = {"database": _check(lambda: db.session.execute(text("SELECT 1"))),
              "redis": _check(lambda: get_redis().ping())}
    ok = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), 200 if ok else 503


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure means "down"; the name is enough for an operator
        return f"down: {type(exc).__name__}"
