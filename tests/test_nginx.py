"""A real nginx with nginx/jifen.conf in front of the app (skipped where nginx is not installed;
CI installs it)."""
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
CONF = Path(__file__).resolve().parent.parent / "nginx" / "jifen.conf"
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """WSGI middleware remembering what the app saw of the last request."""

    def __init__(self, app):
        self.app, self.seen = app, {}

    def __call__(self, environ, start_response):
        self.seen = {"X-Forwarded-For": environ.get("HTTP_X_FORWARDED_FOR"),
                     "X-Forwarded-Proto": environ.get("HTTP_X_FORWARDED_PROTO"),
                     "X-Real-IP": environ.get("HTTP_X_REAL_IP")}
        return self.app(environ, start_response)


@pytest.fixture
def proxied(app, tmp_path):
    recorder = Recorder(app.wsgi_app)
    app_port, nginx_port = free_port(), free_port()
    server = make_server("127.0.0.1", app_port, recorder, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = CONF.read_text()
    site = re.sub(r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};", site)
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{nginx_port};", site)
    (tmp_path / "jifen.conf").write_text(site)
    temp = tmp_path / "tmp"
    temp.mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
daemon off; master_process off; worker_processes 1;
pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
  include {tmp_path}/jifen.conf;
}}""")
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{nginx_port}"
    for _ in range(50):
        try:
            requests.get(base + "/healthz", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield base, recorder
    nginx.terminate()
    nginx.wait(5)
    server.shutdown()


@pytest.mark.committing
def test_requests_go_through_with_forwarded_headers(proxied):
    base, recorder = proxied
    response = requests.get(base + "/healthz", headers={"X-Forwarded-For": "203.0.113.9"},
                            timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert recorder.seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert recorder.seen["X-Forwarded-Proto"] == "http"
    assert recorder.seen["X-Real-IP"] == "127.0.0.1"


@pytest.mark.committing
def test_login_is_rate_limited_by_nginx(proxied):
    base, _ = proxied
    # distinct usernames, so the app's own per-username throttle (5) is not what answers 429
    statuses = [requests.post(base + "/api/v1/staff/auth/login",
                              json={"username": f"nobody{n}", "password": "x"}, timeout=5).status_code
                for n in range(14)]
    assert 429 in statuses
    assert statuses[0] == 401


@pytest.mark.committing
def test_large_bodies_are_refused_at_the_proxy(proxied):
    base, _ = proxied
    response = requests.post(base + "/api/v1/staff/auth/login", data=b"x" * (2 * 1024 * 1024),
                             timeout=5)
    assert response.status_code == 413


@pytest.mark.committing
def test_metrics_are_not_exposed_through_the_proxy(proxied, app):
    base, _ = proxied
    assert requests.get(base + "/metrics", timeout=5).status_code == 404
    assert app.test_client().get("/metrics").status_code == 200  # scraped on the app server


@pytest.mark.committing
def test_the_console_is_served_through_the_proxy(proxied):
    base, _ = proxied
    page = requests.get(base + "/console/sign-in", timeout=5)
    assert page.status_code == 200 and 'name="username"' in page.text
    css = requests.get(base + "/console/static/console/vendor/pico-2.1.1.min.css", timeout=5)
    assert css.status_code == 200 and "max-age" in css.headers.get("Cache-Control", "")
