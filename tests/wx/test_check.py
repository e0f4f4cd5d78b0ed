"""`flask --app app wx check` against the strict fake over real HTTP: what an operator runs
after a deploy, and what it says when WeChat would refuse this deployment."""
from tests.reminder_fixtures import TEMPLATE_ID, fake_wechat, make_template

_ = fake_wechat  # fixture


def check(app):
    result = app.test_cli_runner().invoke(args=["wx", "check"])
    return result.exit_code, result.output


def test_a_deployment_wechat_accepts_passes(app, fake_wechat):
    make_template()
    code, output = check(app)
    assert code == 0, output
    assert f"ok   template points_expiring ({TEMPLATE_ID})" in output
    assert "ok   page pages/points/index (template points_expiring)" in output
    assert "ok   page pages/invite/index (invite code)" in output


def test_a_missing_ip_whitelist_entry_is_reported_with_its_fix(app, client, fake_wechat):
    fake_wechat.control("PUT", "/_fake/ip-whitelist", {"ips": ["203.0.113.7"]})
    code, output = check(app)
    assert code == 1
    assert output.startswith("FAIL token: WeChat refuses this server's IP (40164): add 127.0.0.1 "
                             "to the mini-program's API IP whitelist")
    assert "page" not in output  # nothing else can be asked
    assert "ip_not_whitelisted" in client.get("/healthz").get_json()["details"]["wechat"]


def test_a_template_changed_in_wechat_after_it_was_configured_is_reported(app, fake_wechat):
    make_template()
    fake_wechat.add_template(keys=["thing1", "number2", "date3", "thing5"])  # number4 → thing5
    code, output = check(app)
    assert code == 1
    assert f"FAIL template points_expiring ({TEMPLATE_ID}):" in output
    assert "has no key number4" in output and "needs thing5" in output


def test_an_unreleased_page_is_reported(app, fake_wechat):
    make_template(page="pages/points/new")
    code, output = check(app)
    assert code == 1
    assert "FAIL page pages/points/new (template points_expiring): not in the released version" \
        in output
    assert "ok   page pages/invite/index (invite code)" in output
