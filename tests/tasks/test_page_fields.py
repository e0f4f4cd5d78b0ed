"""What the task centre's pages show besides the basics: task descriptions, and the referral
rules and paging on GET /me/invites."""
from core import events
from core.db import db


def test_a_task_has_a_description_members_see(make_task, member_client, staff_client):
    task = make_task("one_off", title="完善资料", description="填写昵称、头像和生日",
                     config={"reward_points": 10, "action": "complete_profile"})
    items = member_client().get("/me/tasks").get_json()["items"]
    assert [(t["title"], t["description"]) for t in items] == [("完善资料", "填写昵称、头像和生日")]
    marketer = staff_client("marketer")
    changed = marketer.patch(f"/admin/tasks/{task.id}", {"description": "三项都填"})
    assert changed.get_json()["description"] == "三项都填"
    assert marketer.patch(f"/admin/tasks/{task.id}", {"description": "x" * 501}).status_code == 422


def test_my_invites_are_paged_and_show_the_rules(make_task, member_client, factory):
    make_task("referral", config={"inviter_points": 100, "invitee_points": 50,
                                  "trigger": "first_order", "monthly_cap": 5})
    me = member_client()
    for _ in range(3):
        friend = factory.member()
        events.emit("member.registered", member=friend, invite_code=me.member.invite_code,
                    store=None)
        db.session.commit()
    first = me.get("/me/invites?limit=2").get_json()
    assert first["rules"] == {"inviter_points": 100, "invitee_points": 50,
                              "trigger": "first_order", "monthly_cap": 5, "ends_at": None}
    assert len(first["invited"]) == 2 and first["next_cursor"]
    rest = me.get(f"/me/invites?limit=2&cursor={first['next_cursor']}").get_json()
    assert len(rest["invited"]) == 1 and rest["next_cursor"] is None


def test_without_a_referral_task_there_are_no_rules(member_client):
    assert member_client().get("/me/invites").get_json()["rules"] is None
