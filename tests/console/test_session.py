"""The console's session: the API's accounts, throttle and checks; idle timeout; sign-out; a
deactivated account out at its next click; CSRF on every form; roles as the API's."""
from datetime import timedelta

from core import clock
from core.db import db
from stores import service as stores_service


def test_sign_in_uses_the_staff_accounts_and_lands_on_the_scan_page(console, factory):
    staff = factory.staff("cashier")
    page = console()
    response = page.sign_in(staff.username)
    assert response.status_code == 302 and response.headers["Location"] == "/console/scan"
    assert "扫描会员码" in page.get("/console/scan").get_data(as_text=True)


def test_the_session_cookie_is_secure_httponly_and_samesite(console, factory):
    response = console().sign_in(factory.staff("cashier").username)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/console" in cookie


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_username(console, factory):
    staff = factory.staff("cashier")
    page = console()
    for _ in range(5):
        refused = page.sign_in(staff.username, "wrong")
        assert refused.status_code == 401 and "用户名或密码错误" in refused.get_data(as_text=True)
    locked = page.sign_in(staff.username)  # the right password, but the API's throttle holds
    assert locked.status_code == 429 and "失败次数过多" in locked.get_data(as_text=True)


def test_pages_need_a_signed_in_staff_member(console):
    response = console().get("/console/today")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/sign-in?next=/console/today")


def test_an_idle_session_ends(console, factory):
    page = console(factory.staff("cashier"))
    clock.set(clock.now() + timedelta(minutes=31))
    response = page.get("/console/today")
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]
    assert "长时间未操作" in page.get("/console/sign-in").get_data(as_text=True)


def test_each_click_keeps_the_session_alive(console, factory):
    page = console(factory.staff("cashier"))
    for _ in range(3):
        clock.set(clock.now() + timedelta(minutes=20))
        assert page.get("/console/today").status_code == 200


def test_a_deactivated_account_is_out_at_its_next_click(console, factory):
    staff = factory.staff("cashier")
    page = console(staff)
    stores_service.update_staff(staff.id, {"active": False})
    db.session.commit()
    response = page.get("/console/today")
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]
    assert "登录已失效" in page.get("/console/sign-in").get_data(as_text=True)


def test_sign_out_ends_the_session_even_for_a_copy_of_the_cookie(app, console, factory):
    page = console(factory.staff("cashier"))
    copy = app.test_client()
    cookie = page.client.get_cookie("jifen_console", path="/console")
    copy.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path="/console")
    assert copy.get("/console/today").status_code == 200
    assert page.post("/console/sign-out").status_code == 302
    assert copy.get("/console/today").status_code == 302


def test_a_post_without_its_csrf_token_is_refused(console, factory):
    page = console(factory.staff("cashier"))
    response = page.post("/console/scan", {"code": "13800000000"}, csrf=False)
    assert response.status_code == 400 and "刷新页面" in response.get_data(as_text=True)
    assert page.post("/console/sign-out", csrf=False).status_code == 400


def test_a_cashier_may_not_adjust_points(console, factory):
    cashier = factory.staff("cashier")
    member = factory.member(points=100)
    page = console(cashier)
    response = page.post(f"/console/members/{member.member_no}/adjustments",
                         {"delta": "-50", "reason": "x" * 10, "key": "k1"})
    assert response.status_code == 403 and "店长" in response.get_data(as_text=True)


def test_an_adjustment_sent_twice_counts_once(console, factory):
    manager = factory.staff("store_manager")
    member = factory.member(points=100)
    page = console(manager)
    for _ in range(2):
        response = page.post(f"/console/members/{member.member_no}/adjustments",
                             {"delta": "25", "reason": "补录积分", "key": "same-form"})
        assert response.status_code == 302
    assert "125" in page.get(f"/console/members/{member.member_no}").get_data(as_text=True)


def test_a_store_of_staff_of_several_stores_is_picked_once(console, factory):
    one, two = factory.store(), factory.store()
    page = console(factory.staff("store_manager", [one, two]))
    assert page.get("/console/scan").headers["Location"] == "/console/stores"
    assert page.post("/console/stores", {"store_code": two.code}).status_code == 302
    assert two.name in page.get("/console/scan").get_data(as_text=True)


def test_only_a_console_path_is_followed_after_sign_in(console, factory):
    staff = factory.staff("cashier")
    page = console()
    page.get("/console/sign-in")
    response = page.post("/console/sign-in?next=https://evil.example/",
                         {"username": staff.username, "password": "password-123"})
    assert response.headers["Location"] == "/console/scan"


def test_english_is_one_click_away(console, factory):
    page = console(factory.staff("cashier"))
    page.get("/console/lang/en")
    assert "Scan the member code" in page.get("/console/scan").get_data(as_text=True)
