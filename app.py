"""Jifen: the backend of a WeChat mini-program loyalty programme for chains of stores.

`create_app(config=None)` builds the app; `python app.py` runs the embedded default
(SQLite + in-process Redis + the fake WeChat server) with demo data.
"""
from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from core import cli as core_cli, events, worker_cli
from core.api import api, init_api
from core.config import INSTANCE_DIR, load_config
from core.db import db, run_in_transaction
from core.errors import register_error_handlers
from core.health import health
from core.logs import configure_logging, init_request_logging
from core.metrics import metrics_blp
from core.redis import RedisStore

migrate = Migrate()
redis_store = RedisStore()


class JifenFlask(Flask):
    def dispatch_request(self):
        """One transaction per request: commit on success (< 400), roll back otherwise."""
        return run_in_transaction(
            lambda: self.make_response(super(JifenFlask, self).dispatch_request()),
            retries=self.config["TX_RETRIES"],
            should_commit=lambda response: response.status_code < 400,
        )


def create_app(config=None):
    """Build the app. `config`: a dict of overrides on top of the environment's config."""
    app = JifenFlask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(load_config(config))
    app.json.ensure_ascii = False
    if app.config["TRUSTED_PROXIES"]:  # behind nginx: the client's address from X-Forwarded-For
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app):
    configure_logging(app)
    init_request_logging(app)
    db.init_app(app)
    redis_store.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    init_api(app)
    events.load_subscribers()


def register_blueprints(app):
    from mall.admin_api import admin_blp as mall_admin_blp
    from members.api import auth_blp as member_auth_blp, me_blp, staff_blp as member_staff_blp
    from mall.api import mall_blp, me_blp as mall_me_blp, staff_blp as mall_staff_blp
    from points.ledger.api import admin_blp as points_admin_blp, me_blp as points_me_blp
    from points.ledger.api import staff_blp as points_staff_blp
    from points.earning.api import admin_blp as earning_admin_blp, pos_blp as pos_points_blp
    from points.earning.api import staff_blp as staff_orders_blp
    from stores.api import blp as stores_blp, pos_blp, staff_auth_blp
    from tasks.api import admin_blp as tasks_admin_blp, me_blp as tasks_me_blp
    from wx.api import blp as subscribe_templates_blp

    app.register_blueprint(health)
    app.register_blueprint(metrics_blp)
    for blp in (staff_auth_blp, stores_blp, pos_blp, member_auth_blp, me_blp, member_staff_blp,
                points_me_blp, points_staff_blp,
                points_admin_blp, mall_blp, mall_me_blp, mall_staff_blp, mall_admin_blp,
                subscribe_templates_blp, pos_points_blp, staff_orders_blp, earning_admin_blp,
                tasks_me_blp, tasks_admin_blp):
        api.register_blueprint(blp)


def register_commands(app):
    from mall import cli as mall_cli
    from points import cli as points_cli
    from stores import cli as stores_cli
    from wx import cli as wx_cli

    core_cli.register(app)
    worker_cli.register(app)
    stores_cli.register(app)
    points_cli.register(app)
    mall_cli.register(app)
    wx_cli.register(app)


if __name__ == "__main__":
    from core.embedded import run_embedded

    run_embedded()
