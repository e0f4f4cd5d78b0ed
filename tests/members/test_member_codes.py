"""The dynamic member code: issued, rendered, scanned by staff; expired and forged codes."""
import io
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from core import clock
from members import codes


@pytest.fixture
def member_and_client(member_client):
    c = member_client(phone="13812345678", nickname="阿花", points=80)
    return c.member, c


def test_a_code_is_18_digits_valid_90_seconds_and_new_each_minute(member_and_client):
    _member, me = member_and_client
    first = me.get("/me/member-code").get_json()
    assert len(first["code"]) == 18 and first["code"].isdigit()
    assert 0 < first["refresh_in"] <= 60
    assert me.get("/me/member-code").get_json()["code"] == first["code"]  # polling reuses it
    clock.set(clock.now() + timedelta(seconds=61))
    assert me.get("/me/member-code").get_json()["code"] != first["code"]


def test_codes_of_one_member_are_not_derived_from_the_member_no(member_and_client, factory):
    member, _me = member_and_client
    issued = {codes.issue_code(member)[0]}
    for _ in range(3):
        clock.set(clock.now() + timedelta(seconds=61))
        issued.add(codes.issue_code(member)[0])
    assert len(issued) == 4 and all(member.member_no not in c for c in issued)


@pytest.mark.parametrize("kind", ["qr", "barcode"])
def test_the_rendered_code_scans_back_to_the_code(member_and_client, kind):
    _member, me = member_and_client
    code = me.get("/me/member-code").get_json()["code"]
    response = me.get(f"/me/member-code.png?kind={kind}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))
    assert decoded.text == code
    assert decoded.format == (zxingcpp.BarcodeFormat.QRCode if kind == "qr"
                              else zxingcpp.BarcodeFormat.Code128)


def test_staff_of_any_store_scan_a_code_and_see_the_member_masked(member_and_client,
                                                                  staff_client):
    member, me = member_and_client
    code = me.get("/me/member-code").get_json()["code"]
    cashier = staff_client("cashier")
    response = cashier.post("/staff/scan", {"code": code})
    assert response.status_code == 200
    assert response.get_json()["member"] == {
        "id": member.id, "member_no": member.member_no, "nickname": "阿花",
        "phone_masked": "138****5678", "tier": None, "points_balance": 80}


def test_an_expired_code_is_410_and_a_forged_one_404(member_and_client, staff_client):
    _member, me = member_and_client
    code = me.get("/me/member-code").get_json()["code"]
    cashier = staff_client("cashier")
    clock.set(clock.now() + timedelta(seconds=91))
    expired = cashier.post("/staff/scan", {"code": code})
    assert expired.status_code == 410 and expired.get_json()["error"]["code"] == "code_expired"
    forged = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert cashier.post("/staff/scan", {"code": forged}).status_code == 404
    assert cashier.post("/staff/scan", {"code": "hello"}).status_code == 404


def test_scanning_needs_a_staff_token(member_and_client, client):
    _member, me = member_and_client
    code = me.get("/me/member-code").get_json()["code"]
    assert client.post("/staff/scan", {"code": code}).status_code == 401
    assert me.post("/staff/scan", {"code": code}).status_code == 401


def test_staff_find_a_member_by_phone(member_and_client, staff_client):
    member, _me = member_and_client
    cashier = staff_client("cashier")
    found = cashier.get("/staff/members?phone=13812345678")
    assert found.status_code == 200 and found.get_json()["member_no"] == member.member_no
    assert found.get_json()["phone_masked"] == "138****5678"
    assert cashier.get("/staff/members?phone=13800000000").status_code == 404
    assert cashier.get("/staff/members?phone=12ab").status_code == 422
