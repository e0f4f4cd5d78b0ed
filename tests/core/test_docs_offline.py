"""The API docs page works without the internet: Swagger UI's assets are served by the app,
pinned (core/static/swagger-ui/MANIFEST.json: version, licence, sha256), and a headless
Chromium with every request off this machine refused renders the operations list."""
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.api import SWAGGER_UI_DIR

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("JIFEN_ARTEFACTS", ROOT / "artefacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() == "true"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def manifest():
    return json.loads((SWAGGER_UI_DIR / "MANIFEST.json").read_text())


def test_the_vendored_assets_are_the_ones_the_manifest_pins():
    pinned = manifest()
    assert pinned["version"] and pinned["licence"] == "Apache-2.0"
    on_disk = {p.name for p in SWAGGER_UI_DIR.iterdir()} - {"MANIFEST.json"}
    assert on_disk == set(pinned["sha256"])
    for name, digest in pinned["sha256"].items():
        assert hashlib.sha256((SWAGGER_UI_DIR / name).read_bytes()).hexdigest() == digest, name
    assert set(pinned["licence_files"]) <= on_disk


def test_the_docs_page_loads_only_from_this_app(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = [s for s in _attributes(page, "src") + _attributes(page, "href")]
    assert sources and all(s.startswith("/api/v1/docs/swagger-ui/") for s in sources), sources
    for source in sources:
        served = client.get(source)
        assert served.status_code == 200
        assert served.data == (SWAGGER_UI_DIR / source.rsplit("/", 1)[1]).read_bytes()
    assert '"validatorUrl": null' in page  # no badge fetched from the online validator


def _attributes(html, name):
    return re.findall(rf'{name}="([^"]+)"', html)


def test_swagger_ui_renders_every_operation_with_no_network(live_server, client, chromium):
    if CHROMIUM is None or not _have_playwright():
        if IN_CI:
            pytest.fail(".ci/run installs chromium and playwright; they are missing")
        pytest.skip("needs Debian's chromium and the playwright package")
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = {(method.upper(), path) for path, operations in paths.items()
                  for method in operations if method in METHODS}
    refused = []
    page = chromium.new_page(viewport={"width": 1280, "height": 900})  # tests/conftest.py's
    try:
        page.route("**/*", lambda route: _local_only(route, live_server, refused))
        page.goto(live_server + "/api/v1/docs")
        page.wait_for_selector(".opblock-summary", timeout=20_000)
        rendered = _operations_rendered_down_the_page(page)
        title = page.locator(".info .title").inner_text()
        page.evaluate("window.scrollTo(0, 0)")
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "api-docs.png"))
    finally:
        page.close()
    assert refused == []
    assert title.startswith("Jifen API")
    assert rendered == operations, (sorted(operations - rendered), sorted(rendered - operations))


#: the operations in the page's DOM now, as (METHOD, path)
RENDERED_NOW = """() => [...document.querySelectorAll('.opblock-summary')].map(summary => [
    summary.querySelector('.opblock-summary-method').innerText.trim(),
    summary.querySelector('.opblock-summary-path').dataset.path])"""


def _operations_rendered_down_the_page(page):
    """Every operation the page shows as a reader scrolls it from top to bottom.

    Swagger UI (5.35.0's Operations component) virtualises the operations list once it has
    150 rows or more (a row is a tag or an operation; 121 operations in 34 tags since the
    lottery): only the rows in and near the viewport are in the DOM, the rest are padding.
    So the DOM at any one moment holds a screenful (~12 .opblock), and the test scrolls,
    half a viewport at a time, collecting what each position renders."""
    rendered, y = set(), 0
    while True:
        page.evaluate(f"window.scrollTo(0, {y})")
        # the virtualiser renders on the scroll event: two frames, then the DOM has them
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.wait_for_timeout(100)
        rendered |= {tuple(operation) for operation in page.evaluate(RENDERED_NOW)}
        if page.evaluate("window.scrollY + window.innerHeight"
                         " >= document.documentElement.scrollHeight - 1"):
            return rendered
        y += 450


def _local_only(route, base, refused):
    url = route.request.url
    if urlsplit(url).netloc == urlsplit(base).netloc or url.startswith("data:"):
        route.continue_()
    else:
        refused.append(url)
        route.abort()


def _have_playwright():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True
