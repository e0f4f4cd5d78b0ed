"""The staff console at /console/: server-rendered pages (Jinja2 + htmx) for store staff.

Views are as thin as the API's: they check the caller with the same checks (core.auth's
staff token, role and store scope), call the same service functions, and render. The session
is a cookie (Secure, HttpOnly, SameSite) holding the staff token the API's own login issued;
every form carries a CSRF token; every string goes through flask-babel (zh_CN first, en).
"""
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from console import filters, session
from console.blueprint import bp
from console.views import uploads

babel = Babel()
csrf = CSRFProtect()


def init_console(app) -> None:
    """Register the console on `app`: its blueprint, translations, CSRF protection."""
    from console.views import (adjust, analytics, audit, campaigns, earning,  # noqa: F401
                               handover, lotteries, mall, programme, sales, signin, tasks, till,
                               today)  # (their routes)
    from console.views import bulk_points, directory, hq_staff, hq_stores  # noqa: F401
    from console.views import dashboard, reports  # noqa: F401
    from console.views import analytics_builder  # noqa: F401

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # only console forms: checked in bp.before_request
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # a token lives as long as its session
    app.config.setdefault("BABEL_DEFAULT_LOCALE", session.DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(session.TRANSLATIONS))
    babel.init_app(app, locale_selector=session.locale)
    csrf.init_app(app)
    filters.register(app)
    app.register_blueprint(bp)


@bp.before_request
def check_csrf():
    """Every form the console receives carries its CSRF token (or it is refused, 400)."""
    uploads.allow_upload_size()  # an upload form's larger body, before CSRF reads it
    csrf.protect()
