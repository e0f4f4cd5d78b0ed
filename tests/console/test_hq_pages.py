"""HQ's console pages: stores, staff, POS keys and bulk points are for HQ admins only (a
marketer, a store manager and a cashier are refused and not offered them); the member directory
is for marketers and HQ, with full phone numbers for HQ only; a POS key's secret is shown once."""
import io
import re

import pytest
from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.db import db
from points import ledger
from points.programme import tiers
from stores import service as stores_service

HQ_PAGES = ("/console/hq/stores", "/console/hq/stores/SH01", "/console/hq/staff",
            "/console/hq/points-imports")


@pytest.fixture
def chain(factory):
    sh = factory.store("SH01", "上海测试店")
    return {"sh": sh, "hq": factory.staff("hq_admin", username="hq.p"),
            "marketer": factory.staff("marketer", username="mk.p"),
            "manager": factory.staff("store_manager", [sh], username="mgr.p"),
            "cashier": factory.staff("cashier", [sh], username="cash.p")}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["marketer", "manager", "cashier"])
def test_only_hq_admins_reach_the_hq_pages_and_see_them_in_the_menu(console, chain, role):
    page = console(chain[role])
    for path in HQ_PAGES:
        assert page.get(path).status_code == 403, path
    menu = text(page.get("/console/analytics/segments" if role == "marketer"
                         else "/console/scan"))
    for path in HQ_PAGES:
        assert f'href="{path}"' not in menu
    refused = page.post("/console/hq/stores/SH01/pos-keys")
    assert refused.status_code == 403 and stores_service.list_api_keys("SH01") == []


def test_hq_creates_edits_and_closes_a_store_audited(console, chain):
    page = console(chain["hq"])
    assert 'href="/console/hq/stores"' in text(page.get("/console/hq/stores"))
    made = page.post("/console/hq/stores", {"code": "BJ02", "name": "北京二店", "pickup": "y"})
    assert made.status_code == 302
    edited = page.post("/console/hq/stores/BJ02", {"name": "北京二店（新）", "address": "朝阳路1号"})
    assert edited.status_code == 302
    assert stores_service.get_store("BJ02").address == "朝阳路1号"
    bad = page.post("/console/hq/stores", {"code": "x", "name": "太短的代码"})
    assert bad.status_code == 422 and "code" in text(bad)
    page.post("/console/hq/stores/BJ02/active", {"active": "0"})
    assert stores_service.get_store("BJ02").active is False
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_id == "BJ02")).all()
    assert actions == ["store.create", "store.update", "store.update"]


def test_a_pos_key_secret_is_shown_once_and_the_key_can_be_revoked(console, chain):
    page = console(chain["hq"])
    issued = page.post("/console/hq/stores/SH01/pos-keys")
    assert issued.status_code == 201
    secret = re.search(r'<code id="pos-secret">([^<]+)</code>', text(issued)).group(1)
    [key] = stores_service.list_api_keys("SH01")
    again = text(page.get("/console/hq/stores/SH01"))
    assert key.key_id in again and secret not in again and "pos-secret" not in again
    page.post(f"/console/hq/stores/SH01/pos-keys/{key.key_id}/revoke")
    assert stores_service.list_api_keys("SH01")[0].active is False


def test_hq_manages_staff_roles_stores_and_passwords(console, chain):
    page = console(chain["hq"])
    made = page.post("/console/hq/staff", {"username": "new.cashier", "password": "password-9",
                                           "role": "cashier", "store_codes": ["SH01"]})
    assert made.status_code == 302
    staff = stores_service.list_staff(100, None)["items"][-1]
    assert (staff.username, staff.store_codes) == ("new.cashier", ["SH01"])
    no_store = page.post(f"/console/hq/staff/{staff.id}", {"role": "store_manager"})
    assert no_store.status_code == 422  # store staff need a store: the service's rule
    page.post(f"/console/hq/staff/{staff.id}", {"role": "store_manager", "store_codes": ["SH01"]})
    assert stores_service.get_staff(staff.id).role == "store_manager"
    assert page.post(f"/console/hq/staff/{staff.id}/password",
                     {"password": "short"}).status_code == 422
    page.post(f"/console/hq/staff/{staff.id}/password", {"password": "new-password-1"})
    assert console().sign_in("new.cashier", "new-password-1").status_code == 302
    self_off = page.post(f"/console/hq/staff/{chain['hq'].id}/active", {"active": "0"})
    assert self_off.status_code == 409  # not your own account
    page.post(f"/console/hq/staff/{staff.id}/active", {"active": "0"})
    assert stores_service.get_staff(staff.id).active is False


def test_the_directory_masks_phones_for_marketers_and_shows_them_to_hq(console, chain, factory):
    member = factory.member(phone="+8613800138123", nickname="小王", points=80)
    for role, shown in (("marketer", "138****8123"), ("hq", "+8613800138123")):
        page = console(chain[role])
        for path in ("/console/directory?q=13800138123", f"/console/directory/{member.member_no}"):
            phones = re.findall(r'<td class="phone">([^<]*)</td>', text(page.get(path)))
            assert phones == [shown], (role, path)
    marketer = console(chain["marketer"])
    assert member.member_no in text(marketer.get("/console/directory?q=小"))
    assert "adjustments" not in text(marketer.get(f"/console/directory/{member.member_no}"))
    assert marketer.post(f"/console/directory/{member.member_no}/adjustments",
                         {"delta": "5", "reason": "试试"}).status_code == 403
    for role in ("manager", "cashier"):
        assert console(chain[role]).get("/console/directory").status_code == 403


def test_the_directory_filters_by_balance_and_hq_adjusts_from_the_record(console, chain, factory):
    rich, poor = factory.member(points=500), factory.member(points=5)
    page = console(chain["hq"])
    listed = text(page.get("/console/directory?balance_min=100"))
    assert rich.member_no in listed and poor.member_no not in listed
    record = text(page.get(f"/console/directory/{rich.member_no}"))
    assert "500" in record and "消费得积分" in record
    assert 'class="error"' not in record  # no filter given is no filter wrong
    page.post(f"/console/directory/{rich.member_no}/adjustments",
              {"delta": "-100", "reason": "重复积分", "key": "k1"})
    assert ledger.spendable_balance(rich.id) == 400
    spent = text(page.get(f"/console/directory/{rich.member_no}?direction=out"))
    assert "-100" in spent and "+500" not in spent


def test_the_record_shows_the_tier_history_newest_first_beside_points_by_month(
        console, chain, factory):
    tiers.create_tier("silver", "银卡", 100, 100)
    tiers.create_tier("gold", "金卡", 500, 100)
    db.session.commit()
    member, other = factory.member(points=120), factory.member()
    factory.credit(member, 400)
    tiers.review_chunk(clock.now().replace(year=clock.now().year + 2))  # nothing earned since
    db.session.commit()
    record = text(console(chain["marketer"]).get(f"/console/directory/{member.member_no}"))
    assert "每月获得积分" in record  # points earned by month stay
    rows = re.findall(r'<tr data-tier-change="\d+"><td>([\d-]+)</td>'
                      r'<td>([^<]*)</td><td>([^<]*)</td>', record)
    today = clock.business_date().isoformat()
    assert [(day, moved.strip(), why) for day, moved, why in rows] == [
        (today, "金卡 → 无等级", "定期等级评定"), (today, "银卡 → 金卡", "积分达标升级"),
        (today, "无等级 → 银卡", "积分达标升级")]
    assert "暂无等级变动。" in text(console(chain["hq"]).get(f"/console/directory/{other.member_no}"))


def test_a_bulk_file_larger_than_other_bodies_is_read(console, chain, factory):
    member = factory.member()
    reason = "补" * 700  # 2,100 bytes a row: the file is over 1 MiB, the app's usual limit
    rows = "".join(f"{member.member_no},{n},{reason}{n}\n" for n in range(1, 601))
    data = ("member_no,delta,reason\n" + rows).encode()
    assert len(data) > 1024 * 1024
    page = console(chain["hq"])
    page.get("/console/hq/points-imports")
    response = page.post("/console/hq/points-imports",
                         {"file": (io.BytesIO(data), "big.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    sheet = text(page.get(response.headers["Location"]))
    assert "600" in sheet
