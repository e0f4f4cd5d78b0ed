"""What a task has paid so far (the task centre's column): its budget counter when it has a
budget, else the rewards its own rows credited."""
from tasks import budget, checkins, service
from tests.tasks.test_referrals import register


def test_paid_so_far_for_each_kind(factory, make_task):
    checkin = make_task("checkin", config={"schedule": [3, 7]})
    referral = make_task("referral", config={"inviter_points": 100, "invitee_points": 50,
                                             "trigger": "register"})
    budgeted = make_task("one_off", budget_points=500,
                         config={"action": "manual", "reward_points": 20})
    unbudgeted = make_task("one_off", config={"action": "manual", "reward_points": 15})
    inviter = factory.member()
    register(factory, inviter.invite_code)
    register(factory, inviter.invite_code)
    checkins.check_in(inviter)
    for task in (budgeted, unbudgeted):
        service.claim(inviter, task.id)
    assert [budget.paid(t) for t in (checkin, referral, budgeted, unbudgeted)] == \
        [3, 2 * (100 + 50), 20, 15]
