"""Signing in and out, the language, and the store picker."""
from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from console import session as console_session
from console.blueprint import bp
from console.forms import SignInForm, StoreForm
from console.views import go, refusal, render
from core.errors import AppError
from stores.models import MARKETING


@bp.get("/")
def home():
    return go("console.scan")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    if request.method == "GET" or not form.validate():
        return render("sign_in.html", 422 if form.errors else 200, form=form)
    try:
        staff = console_session.sign_in(form.username.data.strip(), form.password.data)
    except AppError as exc:
        return render("sign_in.html", exc.status, form=form, refused=refusal(exc, "sign_in"))
    landing = "console.dashboard" if staff.role in MARKETING else "console.scan"
    return redirect(_safe_next(request.args.get("next")) or url_for(landing))


def _safe_next(target):
    """Only a console path of this site (no open redirect)."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return None


@bp.post("/sign-out")
def sign_out():
    console_session.sign_out()
    flash(_("You have signed out."), "info")
    return go("console.sign_in")


@bp.get("/lang/<code>")
def language(code):
    if code in console_session.LOCALES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("console.scan"))


@bp.route("/stores", methods=["GET", "POST"])
@console_session.staff_page(store=False)
def stores():
    """Pick the store to act for (staff of several stores, HQ): once per session."""
    form = StoreForm()
    choices = console_session.actable_stores(g.staff)
    if request.method == "POST" and form.validate():
        try:
            store = console_session.pick_store(g.staff, form.store_code.data)
        except AppError as exc:
            return render("stores.html", exc.status, stores=choices,
                          refused=refusal(exc, "store"))
        flash(_("You now act for %(store)s.", store=store.name), "success")
        return go("console.scan")
    return render("stores.html", stores=choices, picked=session.get("store"))
