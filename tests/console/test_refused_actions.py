"""A refused console action shows the state as it stands: its own writes, flushed before the
refusal, are not on the page drawn with the refusal (they are rolled back a moment later)."""
from core import clock
from core.db import db
from points.campaigns import policy
from points.earning.models import Promotion


def test_a_campaign_refused_by_a_guardrail_is_not_listed_on_the_refusal_page(console, factory):
    store = factory.store("SH01", "上海测试店")
    policy.save_store_policy({"monthly_budget_points": 500, "max_bonus_points": 50})
    manager = console(factory.staff("store_manager", [store], username="manager.r"))
    today = clock.business_date().isoformat()
    response = manager.post("/console/campaigns", {
        "name": "超限加送", "kind": "bonus", "value": "80", "starts": today, "ends": today})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "refused" in page and "50" in page  # the guardrail, named
    listed = page.split('class="striped campaigns"')[1:]  # the table of the store's campaigns
    assert not listed or "超限加送" not in listed[0].split("</table>")[0]
    assert db.session.query(Promotion).filter_by(name="超限加送").count() == 0
