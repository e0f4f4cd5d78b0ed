"""The reminders' demo: a points_expiring template, so the hourly job has something to send."""
from points.reminders.planning import PURPOSE, active_template
from wx import templates

DEMO_TEMPLATE = {"purpose": PURPOSE, "template_id": "demo-points-expiring",
                 "page": "pages/points/index", "tip": "积分即将过期，快去积分商城兑换吧",
                 "fields": {"thing1": "tip", "number2": "points", "date3": "expiry_date",
                            "number4": "balance"}}


def seed_demo() -> list[str]:
    if active_template() is None:  # the fake's account has it; seeding must not need WeChat
        templates.create_template(dict(DEMO_TEMPLATE), check_wechat=False)
    return ["Expiry reminders: template demo-points-expiring for points_expiring "
            "(/admin/subscribe-templates); background jobs run in-process "
            "(flask --app app jobs schedule)."]
