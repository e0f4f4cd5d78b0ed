"""Structured logs: one JSON object per line on stderr, for requests, jobs and everything else.

`log_event(logger, event, **fields)` writes a line whose fields sit at the top level, e.g.
`{"ts": "...", "level": "INFO", "logger": "jifen.request", "event": "request", "method": "POST",
"route": "/api/v1/pos/orders", "status": 201, "duration_ms": 12.4, "outcome": "ok"}`.

`configure_logging(app)` installs the JSON handler on the root logger only when nothing has
configured logging yet (like logging.basicConfig): under pytest the capture handlers are already
there and keep working; under gunicorn, `flask` commands and the worker, the app's lines are JSON.
LOG_FORMAT=text gives the classic one-line text format for a developer's terminal.
"""
import json
import logging
import time
from datetime import datetime, timezone

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _JifenHandler(logging.StreamHandler):
    """Marks the handler we installed, so a second create_app does not add another."""


def configure_logging(app) -> None:
    root = logging.getLogger()
    if root.handlers:
        return
    handler = _JifenHandler()
    text = app.config.get("LOG_FORMAT", "json") == "text"
    handler.setFormatter(logging.Formatter(TEXT_FORMAT) if text else JsonFormatter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def log_event(logger: logging.Logger, event: str, *, level=logging.INFO, **fields) -> None:
    """One structured line: `event` is the message, `fields` become top-level JSON keys."""
    logger.log(level, event, extra={"fields": {"event": event, **fields}})


def init_request_logging(app) -> None:
    """One JSON line and the HTTP metrics for every request (errors included)."""
    from flask import g, request

    from core import metrics

    request_log = logging.getLogger("jifen.request")

    @app.before_request
    def _start_timer():
        g._request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.pop("_request_started", None)
        seconds = time.perf_counter() - started if started is not None else 0.0
        route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        metrics.observe_request(request.method, route, response.status_code, seconds)
        status = response.status_code
        log_event(request_log, "request", level=logging.ERROR if status >= 500 else logging.INFO,
                  method=request.method, route=route, path=request.path, status=status,
                  duration_ms=round(seconds * 1000, 2), outcome=_outcome(status),
                  remote_addr=request.remote_addr)
        return response


def _outcome(status: int) -> str:
    return "ok" if status < 400 else "client_error" if status < 500 else "server_error"
