"""``python -m wx.fake --port 8800 [--host 127.0.0.1] [--app APPID=SECRET ...]``.

Serves the fake in the foreground, for a developer's mini-program or another process (the
reminders bench) to talk to; ``python -m wx.fake_server`` runs this same main().
"""
from __future__ import annotations

import argparse

from werkzeug.serving import make_server

from wx.fake.routes import create_fake_app


def main(argv=None):
    import wx.fake

    parser = argparse.ArgumentParser(prog="python -m wx.fake", description=wx.fake.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--app", action="append", default=[], metavar="APPID=SECRET",
                        help="accept only these credentials (repeatable)")
    args = parser.parse_args(argv)
    secrets_map = dict(item.split("=", 1) for item in args.app) or None
    server = make_server(args.host, args.port, create_fake_app(secrets_map), threaded=True)
    print(f"fake WeChat server on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
