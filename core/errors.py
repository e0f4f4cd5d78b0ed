"""Error types and the handlers that answer every error in the contract's JSON shape:
`{"error": {"code": ..., "message": ..., "details": {...}}}`."""
import logging

from flask import jsonify
from marshmallow import Schema, fields
from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message=None, *, code=None, details=None, status=None, headers=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}


class BadRequest(AppError):
    pass


class Unauthenticated(AppError):
    status, code, message = 401, "unauthenticated", "Authentication is required."


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "You may not do this."


class NotFound(AppError):
    status, code, message = 404, "not_found", "Not found."


class Conflict(AppError):
    """409; pass the contract's code, e.g. Conflict("...", code="insufficient_points")."""

    status, code, message = 409, "invalid_state", "The request conflicts with the current state."


class Gone(AppError):
    status, code, message = 410, "code_expired", "The code has expired."


class ValidationFailed(AppError):
    status, code, message = 422, "validation_error", "The input is not valid."


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "Too many requests; try again later."

    def __init__(self, retry_after: int, message=None):
        super().__init__(message, details={"retry_after": retry_after},
                         headers={"Retry-After": str(retry_after)})


class WechatError(AppError):
    status, code, message = 502, "wechat_error", "WeChat answered with an error."


class Unavailable(AppError):
    """503; `Retry-After` tells a till or the mini-program when trying again can help (a
    database or Redis restart, a failover, takes a few seconds)."""

    status, code, message = 503, "unavailable", "A service we depend on is unavailable."
    retry_after = 2

    def __init__(self, message=None, **kwargs):
        kwargs.setdefault("headers", {"Retry-After": str(self.retry_after)})
        super().__init__(message, **kwargs)


#: HTTP status → contract code, for errors raised by Flask/werkzeug/webargs
STATUS_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "invalid_state", 410: "code_expired",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    429: "rate_limited", 503: "unavailable",
}


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"example": "validation_error"})
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorSchema(Schema):
    """The body of every error response."""

    error = fields.Nested(ErrorBodySchema, required=True)


def error_response(status, code, message, details=None, headers=None):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_app_error(exc: AppError):
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    details = _webargs_details(exc)
    if status == 422 and details:
        return error_response(422, "validation_error", "The input is not valid.", details)
    if status == 400 and details:
        return error_response(400, "bad_request", "The request body is not valid JSON.", details)
    code = STATUS_CODES.get(status, "bad_request" if status < 500 else "internal_error")
    return error_response(status, code, exc.description or exc.name, {}, _allow_header(exc))


def _webargs_details(exc):
    """webargs/flask-smorest put {location: {field: [messages]}} in exc.data["messages"]."""
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if not messages:
        return {}
    if len(messages) == 1 and isinstance(next(iter(messages.values())), dict):
        return next(iter(messages.values()))  # {field: [messages]} for a single location
    return messages


def _allow_header(exc):
    headers = dict(exc.get_headers()) if hasattr(exc, "get_headers") else {}
    return {"Allow": headers["Allow"]} if "Allow" in headers else {}


def handle_redis_down(exc):
    """Redis cannot be reached: the request's transaction has rolled back; try again later."""
    log.warning("Redis unavailable: %s", exc)
    return error_response(503, "unavailable", "A service we depend on is unavailable; "
                                              "try again shortly.", headers={"Retry-After": "5"})


def handle_internal_error(exc):
    original = getattr(exc, "original_exception", None) or exc
    log.error("unhandled error", exc_info=(type(original), original, original.__traceback__))
    return error_response(500, "internal_error", "Something went wrong on our side.")


def register_error_handlers(app):
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    for redis_down in (RedisConnectionError, RedisTimeout):
        app.register_error_handler(redis_down, handle_redis_down)
    # Flask calls this for unhandled exceptions outside testing (PROPAGATE_EXCEPTIONS re-raises
    # them under app.testing, so tests never hide a bug).
    app.register_error_handler(InternalServerError, handle_internal_error)
