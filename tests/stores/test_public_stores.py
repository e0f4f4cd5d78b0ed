"""GET /stores (public, cached) and HQ's editing of the fields it shows."""
import pytest

SHOWN = {"code", "name", "brand", "address", "latitude", "longitude", "hours", "phone", "pickup"}


@pytest.fixture
def hq(staff_client):
    return staff_client("hq_admin")


def test_the_store_list_is_public_and_cacheable(hq, client):
    created = hq.post("/admin/stores", {
        "code": "SH002", "name": "上海静安店", "brand": "Jifen Tea", "address": "南京西路 1 号",
        "latitude": 31.229, "longitude": 121.447, "hours": "10:00-22:00",
        "phone": "021-5555 0000", "pickup": False})
    assert created.status_code == 201, created.get_json()
    hq.post("/admin/stores", {"code": "CLOSED", "name": "已关店"})
    hq.delete("/admin/stores/CLOSED")
    response = client.get("/stores")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    items = response.get_json()["items"]
    assert [s["code"] for s in items] == ["SH002"]
    assert set(items[0]) == SHOWN
    assert (items[0]["latitude"], items[0]["longitude"], items[0]["pickup"]) == (31.229, 121.447, False)


def test_an_edit_shows_at_once_and_filters_apply(hq, client):
    hq.post("/admin/stores", {"code": "BJ9", "name": "北京店", "brand": "B"})
    hq.post("/admin/stores", {"code": "SZ9", "name": "深圳店", "brand": "S"})
    assert client.get("/stores").get_json()["items"][0]["address"] is None
    hq.patch("/admin/stores/BJ9", {"address": "三里屯", "latitude": 39.93, "longitude": 116.45})
    first = client.get("/stores").get_json()["items"][0]
    assert (first["address"], first["latitude"]) == ("三里屯", 39.93)
    assert [s["code"] for s in client.get("/stores?brand=S").get_json()["items"]] == ["SZ9"]
    hq.patch("/admin/stores/SZ9", {"pickup": False})
    assert [s["code"] for s in client.get("/stores?pickup=true").get_json()["items"]] == ["BJ9"]


@pytest.mark.parametrize("fields", [
    {"latitude": 31.2},                       # without longitude
    {"latitude": 91, "longitude": 0},
    {"latitude": 0, "longitude": 181},
    {"phone": "call me"},
    {"address": "x" * 201},
])
def test_bad_store_details_are_422(hq, fields):
    response = hq.post("/admin/stores", {"code": "BAD1", "name": "x", **fields})
    assert response.status_code == 422, response.get_json()


def test_only_hq_edits_store_details(staff_client):
    manager = staff_client("store_manager")
    code = manager.staff.store_codes[0]
    assert manager.patch(f"/admin/stores/{code}", {"address": "x"}).status_code == 403
