"""FakeWechatServer: the fake app served by werkzeug in a background thread.

Tests and ``make run`` embed it this way, so they need no second process and get a free port
when asked for port 0.
"""
from __future__ import annotations

import threading

from werkzeug.serving import make_server

from wx.fake.routes import create_fake_app


class FakeWechatServer:
    """The fake app served by werkzeug in a background thread."""

    def __init__(self, port=0, host="127.0.0.1", appid_secrets=None):
        self.host, self.port = host, port
        self.app = create_fake_app(appid_secrets)
        self._server = None
        self._thread = None

    @property
    def state(self):
        return self.app.extensions["fake_wechat"]

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError("FakeWechatServer is not started")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def start(self):
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True)
            self.port = self._server.server_port
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="fake-wechat", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def start_for_embedded() -> str:
    """`make run`: unless WECHAT_API_BASE names a WeChat server, serve the fake one in-process
    and point the app at it. Returns the banner line."""
    import os

    if os.environ.get("WECHAT_API_BASE"):
        return f"WeChat: {os.environ['WECHAT_API_BASE']} (from WECHAT_API_BASE)"
    server = FakeWechatServer(port=int(os.environ.get("WECHAT_FAKE_PORT", "0"))).start()
    os.environ["WECHAT_API_BASE"] = server.url
    os.environ.setdefault("WECHAT_SECRET", "demo-secret")
    return f"Fake WeChat server: {server.url} (GET /_fake/messages shows what was sent)"
