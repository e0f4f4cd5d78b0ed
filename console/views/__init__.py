"""What every console view shares: rendering, the API's input schemas, error pages."""
from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from console import nav, session as console_session
from console.blueprint import bp
from console.messages import describe
from core import db
from core.errors import AppError, Forbidden
from points import ledger
from stores.models import ADJUSTERS, MARKETER, MARKETING

SIGNED_OUT = {
    "sign_in": _l("Please sign in."),
    "idle": _l("You were signed out after a while without activity. Please sign in again."),
    "signed_out": _l("You have signed out."),
    "ended": _l("Your session has ended (account disabled, password changed or signed in too "
                "long ago). Please sign in again."),
}


def render(template: str, status: int = 200, **context):
    return make_response(render_template(f"console/{template}", **context), status)


def go(endpoint: str, **values):
    """Redirect; an htmx request is told to load the page whole (HX-Redirect)."""
    url = url_for(endpoint, **values)
    if console_session.is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


def load(schema, payload: dict) -> dict:
    """`payload` checked by the API's input schema (the rule written once). A ValidationError
    becomes a 422 AppError whose message names the fields."""
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None


class InvalidInput(AppError):
    status, code = 422, "validation_error"

    def __init__(self, messages: dict):
        super().__init__("The input is not valid.", details=messages)

    def lines(self) -> list[str]:
        return [f"{field}: {' '.join(map(str, message if isinstance(message, list) else [message]))}"
                for field, message in self.details.items()]


def refusal(error: AppError, doing: str) -> dict:
    """What a template shows of a refused action: the message, and any field problems.

    The refused action's writes are rolled back first, so the page drawn next shows the state
    as it stands (a campaign refused by a guardrail after its row was flushed is not listed)."""
    db.rollback()
    if isinstance(error, InvalidInput):
        lines = error.lines()
    elif error.code == "validation_error" and isinstance(error.details, dict):
        lines = InvalidInput(error.details).lines()  # a service's rule, by field
    else:
        lines = []
    return {"message": describe(error, doing), "lines": lines, "status": error.status}


@bp.app_context_processor
def console_context():
    if not request.blueprint == "console":
        return {}
    return {"staff": g.get("staff"), "store": g.get("store"), "may": console_session.may,
            "locale": console_session.locale(), "adjusters": ADJUSTERS, "marketing": MARKETING,
            "at_a_till": g.get("staff") is not None and g.staff.role != MARKETER,
            "entry_reason": ledger.entry_reason, "menu": nav.menu, "nav_link": nav.link}


@bp.errorhandler(console_session.SignedOut)
def signed_out(exc):
    console_session.sign_out() if exc.reason != "sign_in" else None
    flash(str(SIGNED_OUT[exc.reason]), "info")
    following = request.full_path if request.method == "GET" else None
    return go("console.sign_in", next=following) if following else go("console.sign_in")


@bp.errorhandler(console_session.PickStore)
def pick_store(_exc):
    return go("console.stores")


@bp.errorhandler(Forbidden)
def forbidden(exc):
    return render("refused.html", 403, message=describe(exc, "page"))


@bp.errorhandler(CSRFError)
def csrf_refused(_exc):
    return render("refused.html", 400, message=_(
        "This form was not sent from this console page, or the page is too old. Reload the "
        "page and try again."))
