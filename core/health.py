from importlib import import_module

from flask import Blueprint, jsonify
from sqlalchemy import text

from core.db import db
from core.redis import get_redis

health = Blueprint("health", __name__)

#: details reported beside the checks; informative only, they never turn /healthz into a 503
#: (e.g. "ledger": "ok" | "3 mismatches at <time>", from the nightly reconciliation; "wechat":
#: "ok" | "not checked yet" | what WeChat refuses and the fix, e.g. the IP whitelist)
#: filled by app.py: name → "module:function"
DETAILS: dict[str, str] = {}


@health.get("/healthz")
def healthz():
    """200 {"status": "ok"} when the database and Redis answer; 503 with what failed otherwise."""
    checks = {"database": _check(lambda: db.session.execute(text("SELECT 1"))),
              "redis": _check(lambda: get_redis().ping())}
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks,
            "details": {name: _detail(path) for name, path in DETAILS.items()}}
    return jsonify(body), 200 if ok else 503


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure means "down"; the name is enough for an operator
        return f"down: {type(exc).__name__}"


def _detail(path) -> str:
    module, _, name = path.partition(":")
    try:
        return getattr(import_module(module), name)()
    except Exception as exc:  # a detail never breaks the health check
        return f"unknown: {type(exc).__name__}"
