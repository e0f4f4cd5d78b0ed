"""The flask-smorest Api (OpenAPI at /api/v1/openapi.json, Swagger UI at /api/v1/docs, its
assets served from core/static/swagger-ui: pinned, listed with their sha256 in MANIFEST.json)."""
import json
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path

from flask import Blueprint as FlaskBlueprint, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api, Blueprint
from marshmallow import fields
from webargs.flaskparser import FlaskParser

from core.auth import checks_first
from core.errors import ErrorSchema

API_PREFIX = "/api/v1"
SWAGGER_UI_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"
#: where the docs page loads Swagger UI from (config OPENAPI_SWAGGER_UI_URL): this app
SWAGGER_UI_URL = API_PREFIX + "/docs/swagger-ui/"


class JifenApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Our handlers (core.errors) answer every error; flask-smorest's would differ."""


api = JifenApi()

SECURITY_SCHEMES = {
    "member": {"type": "http", "scheme": "bearer",
               "description": "Member token from POST /auth/wx-login."},
    "staff": {"type": "http", "scheme": "bearer",
              "description": "Staff token from POST /staff/auth/login."},
    "pos": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
            "description": "Per-store POS key; also X-Timestamp, X-Nonce and X-Signature = "
                           "hex HMAC-SHA256(secret, METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\n"
                           "hex(SHA256(body))), hex digits in either case; PATH_WITH_QUERY "
                           "exactly as sent in the request line (percent-encoded). Timestamp "
                           "within 300 s; a nonce is single-use."},
}


swagger_ui = FlaskBlueprint("swagger_ui", __name__)


@swagger_ui.get(SWAGGER_UI_URL + "<path:filename>")
def swagger_ui_asset(filename):
    """Swagger UI's scripts and styles, so the docs page works without the internet."""
    return send_from_directory(SWAGGER_UI_DIR, filename, max_age=3600)


def init_api(app):
    api.init_app(app, spec_kwargs={"servers": [{"url": "/"}]})
    app.register_blueprint(swagger_ui)
    api.ma_plugin.converter.add_attribute_function(decimal_numbers)
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)


def decimal_numbers(converter, field, ret, **kwargs):
    """apispec writes a Decimal field's bounds and default as the field dumps them, Decimals
    that JSON turns into strings ("10.00"); JSON Schema needs numbers there."""
    if not isinstance(field, fields.Decimal):
        return {}
    return {name: _number(ret[name]) for name in ("minimum", "maximum", "default") if name in ret}


def _number(value):
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


class JSONProvider(DefaultJSONProvider):
    """Flask's, but JSON nested deeper than Python's parser goes is bad JSON (400), not a
    RecursionError (500)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON is nested too deeply.") from None


class ArgumentsParser(FlaskParser):
    """webargs' parser, with the same answer for JSON nested too deeply: 400 bad_request."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("The JSON is nested too deeply.", "[", 0) from None


class JifenBlueprint(Blueprint):
    """flask-smorest's Blueprint where every route says who may call it (core.auth), and that
    check runs first: an unauthenticated request gets 401 and a caller without the role 403
    whatever its body, before the body is parsed. A route declaring no check fails at import."""

    ARGUMENTS_PARSER = ArgumentsParser()

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None,
                     **kwargs):
        name = f"{self.name}.{endpoint or view_func.__name__}"
        super().add_url_rule(rule, endpoint, checks_first(view_func, name),
                             provide_automatic_options, **kwargs)

    def arguments(self, schema, **kwargs):
        """As flask-smorest's, but a schema class becomes one instance here, at import: webargs
        would build a new one (and its nested schemas) for every request, a tenth of a POS
        order's CPU. Schemas keep no state between loads, so requests share the instance."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


def blueprint(name, import_name, *, description, prefix=""):
    return JifenBlueprint(name, import_name, url_prefix=API_PREFIX + prefix,
                          description=description)


def documents(blp, *statuses, auth=None):
    """Document the error responses a view can give, and its security scheme."""

    def decorator(view):
        for status in statuses:
            view = blp.alt_response(status, response=_RESPONSE_NAMES[status])(view)
        if auth:
            view = blp.doc(security=[{auth: []}])(view)
        return view

    return decorator


#: flask-smorest registers one response component per HTTP error status, named as HTTPStatus
_RESPONSE_NAMES = {status: HTTPStatus(status).name for status in (400, 401, 403, 404, 409, 410, 422, 429, 502, 503)}
