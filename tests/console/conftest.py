"""Console fixtures: a signed-in test client, and for browser tests (with tests/conftest.py's
live_server on the test database — committing: the server's threads see what the test
wrote — and headless Chromium, Debian's, driven by Playwright) fresh pages, screenshots saved
to artefacts/ (git-ignored)."""
import os
import re
import shutil
from pathlib import Path

import pytest
from flask import g
from flask_babel import refresh


ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("JIFEN_ARTEFACTS", ROOT / "artefacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "password-123"


def csrf_token(response) -> str:
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', response.get_data(as_text=True))
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)


def _fresh_g():
    """Requests of a test client share the test's app context, so `g` would carry one
    request's CSRF token and caller into the next (a server gives each request its own)."""
    for name in ("csrf_token", "staff", "store"):
        g.pop(name, None)
    refresh()  # flask-babel's locale, cached on the app context too


class Console:
    """A test client at the console: `sign_in`, then `get`/`post` forms with their token."""

    def __init__(self, client):
        self.client, self.token = client, None

    def get(self, path, **kwargs):
        _fresh_g()
        response = self.client.get(path, **kwargs)
        if 'name="csrf_token"' in response.get_data(as_text=True):
            self.token = csrf_token(response)
        return response

    def post(self, path, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        _fresh_g()
        if csrf:
            data.setdefault("csrf_token", self.token or csrf_token(self.get("/console/sign-in")))
        return self.client.post(path, data=data, **kwargs)

    def sign_in(self, username, password=PASSWORD):
        self.get("/console/sign-in")
        response = self.post("/console/sign-in", {"username": username, "password": password})
        self.token = None  # signing in starts a new session, with a new CSRF secret
        return response


@pytest.fixture
def console(app):
    """console(staff=None) → a Console (signed in as `staff` when given)."""

    def make(staff=None):
        made = Console(app.test_client())
        if staff is not None:
            assert made.sign_in(staff.username).status_code == 302
            made.get("/console/scan")
        return made

    return make


@pytest.fixture
def browser_page(chromium):
    """A fresh browser context at 1024×768 (a till's screen), confirm dialogs accepted."""
    contexts = []

    def make(width=1024, height=768):
        context = chromium.new_context(viewport={"width": width, "height": height},
                                       locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"console-{name}.png"))
