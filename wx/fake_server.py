"""The fake WeChat server's first home, kept so its old names still work.

``python -m wx.fake_server --port N`` (README, bench/reminders.py) and
``from wx.fake_server import FakeWechatServer`` (tests, core/embedded.py) predate the
``wx/fake/`` package that now holds the fake; see wx/fake/__init__.py for what it does.
"""
from wx.fake import FakeWechatServer, create_fake_app
from wx.fake.__main__ import main

__all__ = ["FakeWechatServer", "create_fake_app", "main"]

if __name__ == "__main__":
    main()
