"""Jifen: the backend of a WeChat mini-program loyalty programme for chains of stores.

The composition root: `create_app(config=None)` builds the app and is the one place that names
every domain — its tables, blueprints, commands, event subscribers, jobs, health details and
demo seeders. `core/` names none of them. `python app.py` runs the embedded default (SQLite +
in-process Redis + the fake WeChat server) with demo data.
"""
from importlib import import_module

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from core import auth, cli as core_cli, events, health, jobs, worker, worker_cli
from core.api import JSONProvider, api, init_api
from core.config import INSTANCE_DIR, load_config
from core.db import db, run_in_transaction
from core.errors import register_error_handlers
from core.ids import IdMap
from core.jobs import Schedule
from core.logs import configure_logging, init_request_logging
from core.metrics import metrics_blp
from core.redis import RedisStore

migrate = Migrate()
redis_store = RedisStore()

#: every module that defines tables, so Base.metadata is complete (Alembic, tests)
MODEL_MODULES = (
    "core.audit", "core.guards", "core.idempotency", "stores.models", "members.models",
    "points.ledger.models",
    "points.programme.models", "points.earning.models", "points.campaigns.models",
    "points.reminders.models", "points.imports.models", "mall.models",
    "tasks.models", "wx.models", "members.privacy.models", "media.models", "banners.models",
    "lottery.models", "analytics.models", "analytics.tags.models",
    "analytics.dashboard.models",
)
#: modules whose handlers subscribe to core.events when imported
SUBSCRIBERS = ("points.ledger.subscribers", "tasks.referrals", "tasks.actions", "mall.closing",
               "points.earning.erasure", "lottery.fulfilment")
#: `seed-demo`, in this order; each seeder is safe to run again
DEMO_SEEDERS = (
    "stores.demo:seed_demo", "points.programme.demo:seed_demo", "members.demo:seed_demo",
    "members.privacy.demo:seed_demo",
    "points.ledger.demo:seed_demo", "points.earning.demo:seed_demo",
    "points.campaigns.demo:seed_demo", "mall.demo:seed_demo",
    "tasks.demo:seed_demo", "points.reminders.demo:seed_demo", "banners.demo:seed_demo",
    "mall.demo:seed_reminder_templates", "lottery.demo:seed_demo", "analytics.demo:seed_demo",
    "points.imports.demo:seed_demo",
    "analytics.dashboard.demo:seed_demo",
)
#: a member's copy of their data (GET /me/export): section → "module:function"(member)
EXPORT_SECTIONS = {
    "points": "points.ledger.export:for_member", "orders": "points.earning.member_orders:for_export",
    "redemptions": "mall.export:redemptions", "coupons": "mall.export:coupons",
    "checkins": "tasks.export:checkins", "task_claims": "tasks.export:task_claims",
    "invites": "tasks.export:invites", "reminders": "points.reminders.export:for_member",
    "mall_reminders": "mall.export:reminders",
    "tier_history": "points.programme.tier_history:for_export",
}
#: the titles of what ledger entries come from (GET /me/points/entries): ref_type →
#: "module:function"(ref ids) → {ref id: title}
ENTRY_TITLES = {
    "order": "points.earning.member_orders:titles", "redemption": "mall.export:titles",
    "checkin": "tasks.export:checkin_titles", "task": "tasks.export:task_titles",
}
#: /healthz details (informative; never a 503)
HEALTH_DETAILS = {"ledger": "points.ledger.jobs:ledger_health", "wechat": "wx.health:wechat_health",
                  "legal": "members.privacy.consent:legal_health"}
#: every background job's schedule; cron in business time (BUSINESS_TZ)
SCHEDULE = (
    Schedule("expiry-sweep", "5 0 * * *", "points.ledger.jobs:expiry_sweep",
             "expire every lot due by now, 5,000 lots per transaction (points expire --as-of)"),
    Schedule("expiry-reminders", "0 * * * *", "points.reminders.jobs:expiry_reminders",
             "hourly; from settings reminders.hour on, subscribe messages for points expiring "
             "in reminders.days_before days, ~1,000 members per job (points remind --as-of)"),
    Schedule("ledger-reconciliation", "30 2 * * *", "points.ledger.jobs:reconciliation",
             "check the ledger invariants; mismatches → error log, metric, /healthz detail"),
    Schedule("tier-review", "0 3 1 * *", "points.programme.jobs:tier_review",
             "monthly: every member's tier from the last 12 months' earnings"),
    Schedule("birthday-extension", "0 4 1 * *", "points.ledger.jobs:birthday_extension",
             "monthly, if expiry.birthday_extension_days > 0: extend lots expiring in next "
             "month for members born in next month"),
    Schedule("idempotency-key-purge", "20 * * * *", "core.idempotency:purge_job",
             "delete Idempotency-Key records older than IDEMPOTENCY_KEEP_HOURS"),
    Schedule("mall-stock-gate-rebuild", "*/5 * * * *", "mall.jobs:rebuild_gate",
             "rebuild the Redis stock gate from the database (the database is the truth)"),
    Schedule("analytics-nightly", "30 1 * * *", "analytics.jobs:nightly",
             "RFM scores and segments (chain and per store, monthly history), churn status, "
             "then rule tags and automations, as of today; 100,000 orders per transaction "
             "(analytics nightly --as-of)"),
    Schedule("unpicked-gift-expiry", "45 0 * * *", "mall.jobs:expire_pickups",
             "expire gifts not picked up in time: points, stock and limit returned"),
    Schedule("pickup-reminders", "0 10 * * *", "mall.jobs:pickup_reminders",
             "daily: a subscribe message for each gift waiting for pickup whose deadline is in "
             "MALL_REMINDER_DAYS_BEFORE days, at most once (pickup_reminder)"),
    Schedule("coupon-expiry-reminders", "5 10 * * *", "mall.jobs:coupon_reminders",
             "daily: a subscribe message for each unused coupon expiring in "
             "MALL_REMINDER_DAYS_BEFORE days, at most once (coupon_expiring)"),
    Schedule("member-deletions", "10 * * * *", "members.privacy.jobs:complete_deletions",
             "hourly: complete account deletions whose cooling-off has ended (one member per "
             "transaction; rerun safely)"),
    Schedule("lottery-seeds", "10 * * * *", "lottery.jobs:rotate_seeds",
             "commit today's and tomorrow's lottery seeds (published before their period), "
             "reveal the seeds of ended periods (lottery seeds)"),
    Schedule("dashboard-rollup", "20 0 * * *", "analytics.dashboard.jobs:rollup_job",
             "the dashboard's figures per business day and store, up to yesterday: days not "
             "built yet and the last 3 again (late entries); a transaction per day, rerun "
             "safely (dashboard rollup)"),
)


class JifenFlask(Flask):
    url_map_class = IdMap  # ids beyond BIGINT match no route: 404, never a database error
    json_provider_class = JSONProvider  # JSON nested too deeply: 400, not a RecursionError

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
    register_domains()
    app.before_request(auth.forget_caller)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_domains():
    """What core's mechanisms need to know of the domains."""
    from members.api import MEMBER_VIEWS
    from members.privacy import export
    from points.ledger import member_views, sources
    from stores.models import ApiKey, Staff

    for module in MODEL_MODULES:
        import_module(module)
    auth.use_accounts(staff_model=Staff, api_key_model=ApiKey)
    events.load_subscribers(SUBSCRIBERS)
    jobs.declare(SCHEDULE)
    health.DETAILS.update(HEALTH_DETAILS)
    core_cli.DEMO_SEEDERS[:] = DEMO_SEEDERS
    worker.use_app_factory(create_app)
    MEMBER_VIEWS["me"][:] = [member_views.for_member]
    MEMBER_VIEWS["staff"][:] = [member_views.for_staff]
    sources.TITLES.clear()
    sources.TITLES.update(ENTRY_TITLES)
    export.SECTIONS.clear()
    export.SECTIONS.update(EXPORT_SECTIONS)


def register_extensions(app):
    configure_logging(app)
    init_request_logging(app)
    db.init_app(app)
    redis_store.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    init_api(app)


def register_blueprints(app):
    from analytics.api import admin_blp as analytics_admin_blp
    from analytics.tags.api import admin_blp as analytics_tags_blp
    from analytics.dashboard.api import admin_blp as dashboard_blp, pos_blp as pos_day_blp
    from mall.admin_api import admin_blp as mall_admin_blp
    from members.api import auth_blp as member_auth_blp, me_blp, staff_blp as member_staff_blp
    from mall.api import mall_blp, me_blp as mall_me_blp, staff_blp as mall_staff_blp
    from members.privacy.api import (admin_blp as legal_admin_blp, legal_blp,
                                     me_blp as privacy_me_blp)
    from points.earning.me_api import me_blp as orders_me_blp
    from media.api import admin_blp as media_admin_blp, public_blp as media_blp
    from banners.api import admin_blp as banners_admin_blp, public_blp as banners_blp
    from wx.public_api import public_blp as offered_templates_blp
    from points.programme.public_api import public_blp as tiers_public_blp
    from stores.public_api import public_blp as stores_public_blp
    from points.ledger.api import me_blp as points_me_blp, staff_blp as points_staff_blp
    from points.programme.api import admin_blp as points_admin_blp
    from points.earning.api import admin_blp as earning_admin_blp, pos_blp as pos_points_blp
    from points.earning.api import staff_blp as staff_orders_blp
    from points.campaigns.api import admin_blp as campaigns_admin_blp, me_blp as campaigns_me_blp
    from points.campaigns.api import staff_blp as campaigns_staff_blp
    from points.imports.api import admin_blp as points_imports_blp
    from stores.api import blp as stores_blp, pos_blp, staff_auth_blp, staff_me_blp
    from tasks.api import admin_blp as tasks_admin_blp, me_blp as tasks_me_blp
    from lottery.api import admin_blp as lottery_admin_blp, lottery_blp, me_blp as lottery_me_blp
    from wx.api import blp as subscribe_templates_blp

    from console import init_console

    app.register_blueprint(health.health)
    app.register_blueprint(metrics_blp)
    init_console(app)
    for blp in (staff_auth_blp, stores_blp, pos_blp, member_auth_blp, me_blp, member_staff_blp,
                points_me_blp, points_staff_blp,
                points_admin_blp, mall_blp, mall_me_blp, mall_staff_blp, mall_admin_blp,
                subscribe_templates_blp, pos_points_blp, staff_orders_blp, earning_admin_blp,
                tasks_me_blp, tasks_admin_blp, staff_me_blp, legal_blp, privacy_me_blp,
                legal_admin_blp, orders_me_blp, stores_public_blp, tiers_public_blp,
                media_admin_blp, media_blp, banners_blp, banners_admin_blp,
                offered_templates_blp, lottery_blp, lottery_me_blp, lottery_admin_blp,
                analytics_admin_blp, analytics_tags_blp, campaigns_admin_blp, campaigns_me_blp,
                campaigns_staff_blp, points_imports_blp, dashboard_blp, pos_day_blp):
        api.register_blueprint(blp)


def register_commands(app):
    from analytics import cli as analytics_cli
    from analytics.dashboard import cli as dashboard_cli
    from lottery import cli as lottery_cli
    from mall import cli as mall_cli
    from points import cli as points_cli
    from stores import cli as stores_cli
    from wx import cli as wx_cli

    core_cli.register(app)
    worker_cli.register(app)
    stores_cli.register(app)
    points_cli.register(app)
    mall_cli.register(app)
    lottery_cli.register(app)
    wx_cli.register(app)
    analytics_cli.register(app)
    dashboard_cli.register(app)


if __name__ == "__main__":
    from core.embedded import run_embedded
    from wx.fake.server import start_for_embedded

    run_embedded(create_app, services=[start_for_embedded],
                 pages=[("Console", "/console/ (staff: the demo logins below)")])
