"""A real nginx with nginx/jifen.conf in front of the app, serving TLS with a self-signed
certificate (skipped where nginx is not installed; CI installs it)."""
import re
import shutil
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from ipaddress import ip_address
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (what the site's real ones stand in for)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "jifen.crt", directory / "jifen.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Nginx:
    """nginx/jifen.conf run by a real nginx on free ports, in front of `app_port`."""

    def __init__(self, tmp_path: Path, app_port: int):
        self.cert, key = self_signed(tmp_path)
        self.http_port, self.tls_port = free_port(), free_port()
        site = CONF.read_text()
        site = re.sub(r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};", site)
        site = re.sub(r"listen 80;", f"listen 127.0.0.1:{self.http_port};", site)
        site = re.sub(r"listen 443 ssl http2;", f"listen 127.0.0.1:{self.tls_port} ssl;", site)
        site = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {self.cert};", site)
        site = re.sub(r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};", site)
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
        self.process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c",
                                         str(tmp_path / "nginx.conf")], stderr=subprocess.PIPE)
        self.base = f"https://127.0.0.1:{self.tls_port}"
        self.plain = f"http://127.0.0.1:{self.http_port}"
        for _ in range(50):
            try:
                requests.get(self.plain + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)

    def request(self, method, path, **kwargs):
        return requests.request(method, self.base + path, verify=str(self.cert), timeout=5,
                                **kwargs)

    def stop(self):
        self.process.terminate()
        self.process.wait(5)


@pytest.fixture
def proxied(app, tmp_path):
    recorder = Recorder(app.wsgi_app)
    app_port = free_port()
    server = make_server("127.0.0.1", app_port, recorder, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    nginx = Nginx(tmp_path, app_port)
    yield nginx, recorder
    nginx.stop()
    server.shutdown()


def assert_api_error(response, status, code):
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code


@pytest.mark.committing
def test_requests_go_through_tls_with_forwarded_headers(proxied):
    nginx, recorder = proxied
    response = nginx.request("GET", "/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert recorder.seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert recorder.seen["X-Forwarded-Proto"] == "https"
    assert recorder.seen["X-Real-IP"] == "127.0.0.1"


@pytest.mark.committing
def test_plain_http_is_redirected_to_https(proxied):
    nginx, _ = proxied
    response = requests.get(nginx.plain + "/api/v1/stores?brand=x", allow_redirects=False,
                            timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://127.0.0.1/api/v1/stores?brand=x"


@pytest.mark.committing
def test_staff_login_is_rate_limited_by_nginx_in_the_api_error_shape(proxied):
    nginx, _ = proxied
    # distinct usernames, so the app's own per-username throttle (5) is not what answers 429
    responses = [nginx.request("POST", "/api/v1/staff/auth/login",
                               json={"username": f"nobody{n}", "password": "x"})
                 for n in range(14)]
    assert responses[0].status_code == 401
    limited = next(r for r in responses if r.status_code == 429)
    assert_api_error(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "1"


@pytest.mark.committing
def test_member_login_is_not_limited_like_staff_login(proxied):
    """A store's Wi-Fi is one address for many customers logging in at once."""
    nginx, _ = proxied
    statuses = {nginx.request("POST", "/api/v1/auth/wx-login", json={}).status_code
                for _ in range(25)}
    assert statuses == {422}


@pytest.mark.committing
def test_large_bodies_are_refused_at_the_proxy_in_the_api_error_shape(proxied):
    nginx, _ = proxied
    response = nginx.request("POST", "/api/v1/staff/auth/login", data=b"x" * (2 * 1024 * 1024))
    assert_api_error(response, 413, "payload_too_large")


@pytest.mark.committing
def test_an_image_upload_may_be_larger_than_other_bodies(proxied):
    nginx, _ = proxied
    response = nginx.request("POST", "/api/v1/me/avatar", data=b"x" * (3 * 1024 * 1024))
    assert_api_error(response, 401, "unauthenticated")  # the app answers, not nginx's 413


@pytest.mark.committing
def test_a_bulk_points_file_may_be_larger_than_other_bodies(proxied):
    nginx, _ = proxied
    response = nginx.request("POST", "/console/hq/points-imports", data=b"x" * (3 * 1024 * 1024))
    assert response.status_code != 413  # the app answers (no CSRF token), not nginx


@pytest.mark.committing
def test_a_missing_app_server_is_a_json_502(tmp_path):
    nginx = Nginx(tmp_path, free_port())  # nothing listens there
    try:
        response = nginx.request("GET", "/api/v1/stores")
        assert_api_error(response, 502, "unavailable")
        assert response.headers["Retry-After"] == "5"
    finally:
        nginx.stop()


@pytest.mark.committing
def test_metrics_are_not_exposed_through_the_proxy(proxied, app):
    nginx, _ = proxied
    assert nginx.request("GET", "/metrics").status_code == 404
    assert app.test_client().get("/metrics").status_code == 200  # scraped on the app server


@pytest.mark.committing
def test_the_console_is_served_through_the_proxy(proxied):
    nginx, _ = proxied
    page = nginx.request("GET", "/console/sign-in")
    assert page.status_code == 200 and 'name="username"' in page.text
    css = nginx.request("GET", "/console/static/console/vendor/pico-2.1.1.min.css")
    assert css.status_code == 200 and "max-age" in css.headers.get("Cache-Control", "")
