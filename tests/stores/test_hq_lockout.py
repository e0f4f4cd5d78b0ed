"""An HQ admin cannot lock the chain out: there is always an active hq_admin, nobody deactivates
themselves, and nobody resets their own password without giving the current one."""
from sqlalchemy import update

from core.db import db
from stores.models import Staff
from tests.core.test_errors import assert_error
from tests.helpers import ApiClient
from tests.stores.test_own_password import PASSWORD, login


def test_an_admin_cannot_deactivate_themselves(staff_client):
    admin, other = staff_client("hq_admin"), staff_client("hq_admin")
    me = f"/admin/staff/{admin.staff.id}"
    error = assert_error(admin.patch(me, {"active": False}), 409, "invalid_state")
    assert "your own account" in error["message"]
    assert_error(admin.delete(me), 409, "invalid_state")
    assert admin.get(me).get_json()["active"] is True  # still signed in, still active
    assert other.delete(me).get_json()["active"] is False  # another admin may


def test_the_last_active_hq_admin_cannot_be_demoted_or_deactivated(staff_client):
    admin, other = staff_client("hq_admin"), staff_client("hq_admin")
    assert admin.patch(f"/admin/staff/{other.staff.id}", {"role": "marketer"}).status_code == 200
    error = assert_error(admin.patch(f"/admin/staff/{admin.staff.id}", {"role": "cashier"}),
                         409, "invalid_state")
    assert "last active hq_admin" in error["message"]
    assert admin.get("/admin/staff").status_code == 200  # still HQ


def test_a_second_admin_lets_the_first_step_down(staff_client):
    admin, other = staff_client("hq_admin"), staff_client("hq_admin")
    assert admin.patch(f"/admin/staff/{admin.staff.id}", {"role": "marketer"}).status_code == 200
    assert other.get("/admin/staff").status_code == 200


def test_deactivated_admins_do_not_count(staff_client):
    admin, other = staff_client("hq_admin"), staff_client("hq_admin")
    assert admin.delete(f"/admin/staff/{other.staff.id}").status_code == 200
    # the one left cannot go either way
    assert_error(admin.patch(f"/admin/staff/{admin.staff.id}", {"role": "marketer"}),
                 409, "invalid_state")
    reactivated = admin.patch(f"/admin/staff/{other.staff.id}", {"active": True})
    assert reactivated.get_json()["active"] is True


def test_an_admin_cannot_reset_their_own_password_from_the_admin_endpoint(staff_client):
    admin, other = staff_client("hq_admin"), staff_client("hq_admin")
    error = assert_error(admin.patch(f"/admin/staff/{admin.staff.id}",
                                     {"password": "new-password-1"}), 409, "invalid_state")
    assert "/staff/me/password" in error["message"]
    assert login(admin, admin.staff.username, PASSWORD).status_code == 200
    # resetting someone else's password is what the endpoint is for
    assert admin.patch(f"/admin/staff/{other.staff.id}",
                       {"password": "new-password-2"}).status_code == 200
    assert login(admin, other.staff.username, "new-password-2").status_code == 200


def test_create_admin_is_the_operators_way_back_in(app, client, factory):
    factory.staff("hq_admin", username="locked.out")
    db.session.execute(update(Staff).values(active=False))  # as a chain locked out before #23
    result = app.test_cli_runner().invoke(args=["create-admin", "--username", "rescue",
                                                "--password", "rescue-password"])
    assert result.exit_code == 0, result.output
    token = login(client, "rescue", "rescue-password").get_json()["token"]
    rescuer = ApiClient(client.raw, token=token)
    locked_out = rescuer.get("/admin/staff").get_json()["items"][0]
    assert rescuer.patch(f"/admin/staff/{locked_out['id']}", {"active": True}).status_code == 200
