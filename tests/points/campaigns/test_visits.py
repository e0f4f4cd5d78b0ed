"""Visit check-in (到店打卡): the store's mini-program code carries the store and a rotating
token; a member scanning it earns the store's visit points once per business day per store,
from the store's budget; a stale token is refused; staff can record a visit too."""
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from core import clock
from core.db import db
from members import codes
from points import ledger
from points.campaigns import visits
from points.ledger.models import PointsEntry
from tests.helpers import ApiClient
from tests.members.conftest import _server, wechat  # noqa: F401 (fixtures)
from tests.points.campaigns.helpers import store_budget


@pytest.fixture
def sh(factory):
    store = factory.store(code="SH001")
    store_budget(1000, SH001={"visit_points": 10})
    return store


def test_a_member_earns_the_visit_points_once_a_day_per_store(sh, factory, member_client):
    bj = factory.store(code="BJ001")
    store_budget(1000, SH001={"visit_points": 10}, BJ001={"visit_points": 5})
    me = member_client()
    first = me.post("/me/visits", {"scene": visits.scene_for(sh)[0]})
    assert first.status_code == 201 and first.get_json()["points"] == 10
    again = me.post("/me/visits", {"scene": visits.scene_for(sh)[0]})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_checked_in"
    assert me.post("/me/visits", {"scene": visits.scene_for(bj)[0]}).get_json()["balance"] == 15
    clock.set(clock.now() + timedelta(days=1))
    assert me.post("/me/visits", {"scene": visits.scene_for(sh)[0]}).status_code == 201
    assert ledger.live_points_by_funder(me.member.id) == {sh.id: 20, bj.id: 5}  # the stores pay


def test_a_stale_or_forged_token_is_refused(sh, member_client):
    me = member_client()
    scene, left = visits.scene_for(sh)
    clock.set(clock.now() + timedelta(seconds=left + 1))  # the next window: still good
    assert me.post("/me/visits", {"scene": scene}).status_code == 201
    clock.set(clock.now() + timedelta(days=1, seconds=visits.TOKEN_SECONDS))
    stale = me.post("/me/visits", {"scene": scene})
    assert stale.status_code == 410 and stale.get_json()["error"]["code"] == "code_expired"
    *rest, signature = visits.scene_for(sh)[0].split(":")
    forged = ":".join([*rest[:1], str(sh.id + 1), *rest[2:], signature])
    assert me.post("/me/visits", {"scene": forged}).status_code == 422


def test_a_spent_budget_or_no_visit_points_earns_nothing(sh, factory, member_client):
    store_budget(15, SH001={"visit_points": 10})
    first, second = member_client(), member_client()
    assert first.post("/me/visits", {"scene": visits.scene_for(sh)[0]}).status_code == 201
    spent = second.post("/me/visits", {"scene": visits.scene_for(sh)[0]})
    assert spent.status_code == 409 and spent.get_json()["error"]["code"] == "limit_exceeded"
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)
                             .where(PointsEntry.member_id == second.member.id)) == 0
    bj = factory.store(code="BJ001")
    off = second.post("/me/visits", {"scene": visits.scene_for(bj)[0]})
    assert off.status_code == 409 and off.get_json()["error"]["code"] == "invalid_state"


def test_staff_record_a_visit_by_scanning_the_member_code(sh, factory, staff_client):
    member = factory.member()
    code, _expires, _refresh = codes.issue_code(member)
    cashier = staff_client("cashier", stores=[sh])
    recorded = cashier.post("/staff/visits", {"store_code": "SH001", "member_code": code})
    assert recorded.status_code == 201 and recorded.get_json()["balance"] == 10
    twice = cashier.post("/staff/visits", {"store_code": "SH001", "member_code": code})
    assert twice.status_code == 409
    elsewhere = staff_client("cashier", stores=[factory.store(code="BJ001")])
    assert elsewhere.post("/staff/visits", {"store_code": "SH001", "member_code": code}).status_code == 403


def test_the_store_shows_its_code_made_by_wechat_once_a_window(sh, staff_client, wechat):  # noqa: F811
    manager = staff_client("store_manager", stores=[sh])
    first = manager.get("/staff/stores/SH001/visit-code")
    second = manager.get("/staff/stores/SH001/visit-code")
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert second.data == first.data and wechat.calls("/wxa/getwxacodeunlimit") == 1
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(first.data)))
    assert decoded.text.endswith(f"scene={visits.scene_for(sh)[0]}")
    assert int(first.headers["Cache-Control"].split("=")[1]) <= visits.TOKEN_SECONDS


@pytest.mark.committing
@pytest.mark.mariadb
def test_a_burst_of_scans_pays_once(app, factory):
    store = factory.store(code="SH001")
    store_budget(1000, SH001={"visit_points": 10})
    member = factory.member()
    token = factory.member_token(member)
    scene = visits.scene_for(store)[0]

    def scan(_):
        return ApiClient(app.test_client(), token=token).post("/me/visits", {"scene": scene})

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(r.status_code for r in pool.map(scan, range(20)))
    assert statuses == [201] + [409] * 19
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)
                             .where(PointsEntry.member_id == member.id)) == 1
