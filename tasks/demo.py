"""Task-centre demo data: a check-in with make-up, a referral reward, one-off tasks, and three
days of check-ins for the demo member."""
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from tasks import checkins, service
from tasks.models import CheckIn, Task

DEMO_TASKS = [
    {"kind": "checkin", "title": "每日签到", "config": {
        "schedule": [5, 5, 5, 5, 5, 5, 30],
        "makeup": {"enabled": True, "cost_points": 20, "per_month": 2}}},
    {"kind": "referral", "title": "邀请好友", "config": {
        "inviter_points": 200, "invitee_points": 100, "trigger": "first_order", "monthly_cap": 20},
     "member_limit_points": 10000},
    {"kind": "one_off", "title": "绑定手机号", "config": {"action": "bind_phone", "reward_points": 50}},
    {"kind": "one_off", "title": "完善个人资料", "config": {"action": "complete_profile",
                                                         "reward_points": 30}},
    {"kind": "one_off", "title": "首次积分兑换", "config": {"action": "first_redemption",
                                                         "reward_points": 20}},
    {"kind": "one_off", "title": "关注公众号", "budget_points": 10000,
     "config": {"action": "manual", "reward_points": 10}},
]


def seed_demo() -> list[str]:
    if db.session.scalars(select(Task)).first() is None:
        for task in DEMO_TASKS:
            service.save_task(dict(task))
    from members.demo import demo_member

    member, task = demo_member(), db.session.scalars(select(Task).filter_by(kind="checkin")).first()
    if member is not None and task is not None and \
            db.session.scalars(select(CheckIn).filter_by(member_id=member.id)).first() is None:
        today = clock.business_date()
        for back in (3, 2, 1):
            checkins._record(member, task, today - timedelta(days=back))
    return ["Task centre: daily check-in 5,5,5,5,5,5,30 with make-up, invite friends (200 + 100 "
            "points on the friend's first order, at most 10,000 points per inviter), four one-off tasks; the demo member has a "
            "3-day streak (POST /api/v1/me/checkins)."]
