import pytest

from tests.helpers import ApiClient
from tests.reminder_fixtures import Fake
from wx.fake_server import FakeWechatServer


@pytest.fixture(scope="module")
def _server():
    with FakeWechatServer() as server:
        yield server


@pytest.fixture
def wechat(app, _server):
    """The fake WeChat server over real HTTP, fresh for each test, with the app pointed at it."""
    fake = Fake(_server)
    fake.reset()
    saved = app.config["WECHAT_API_BASE"]
    app.config["WECHAT_API_BASE"] = _server.url
    try:
        yield fake
    finally:
        app.config["WECHAT_API_BASE"] = saved


@pytest.fixture
def login(client, wechat):
    """login(openid, unionid=None, **body) → (response, ApiClient with the member's token)."""

    nonces = iter(range(1, 10**6))

    def do(openid, unionid=None, **body):
        code = f"fake:{openid}:{unionid or ''}:{next(nonces)}"  # wx.login() gives a new code each time
        response = client.post("/auth/wx-login", {"code": code, **body})
        token = response.get_json().get("token")
        return response, ApiClient(client.raw, token=token)

    return do
