"""POST /admin/uploads and POST /me/avatar: decoded, re-encoded, size-checked; served with
cache headers."""
import io

import pytest
from PIL import Image

from core.db import db
from media.service import key_of
from tests.media.images import picture


def upload(client, data, name="photo.png", purpose="product", path="/admin/uploads"):
    form = {"file": (io.BytesIO(data), name)}
    path += f"?purpose={purpose}" if purpose else ""
    return client.post(path, data=form, content_type="multipart/form-data")


def test_a_staff_upload_is_reencoded_and_served_with_cache_headers(staff_client, client):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make; a GPS block would travel the same way
    response = upload(staff_client("marketer"), picture("JPEG", (2400, 1200), exif=exif.tobytes()),
                      "big.jpg")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["width"], body["height"], body["content_type"]) == (1600, 800, "image/jpeg")
    served = client.get(body["url"].split("localhost", 1)[1])
    assert served.status_code == 200
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (1600, 800) and not image.getexif()


def test_transparency_stays_png(staff_client):
    body = upload(staff_client("marketer"), picture("PNG", mode="RGBA"), purpose="tier").get_json()
    assert body["content_type"] == "image/png" and body["url"].endswith(".png")


@pytest.mark.parametrize("data, name", [
    (b"%PDF-1.7 not a picture at all" * 20, "renamed.jpg"),
    (picture("GIF"), "anim.gif"),
    (picture("PNG")[:300], "truncated.png"),
])
def test_anything_but_a_whole_jpeg_png_or_webp_is_refused(staff_client, data, name):
    response = upload(staff_client("hq_admin"), data, name)
    assert response.status_code == 422
    assert "file" in response.get_json()["error"]["details"]


def test_an_oversized_file_is_413(staff_client):
    big = picture("PNG", (3000, 3000), mode="RGB") + b"\0" * (5 * 1024 * 1024)
    response = upload(staff_client("hq_admin"), big, "huge.png")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_uploads_need_a_staff_role_and_a_purpose(staff_client, client, member_client):
    assert upload(client, picture()).status_code == 401
    assert upload(staff_client("cashier"), picture()).status_code == 403
    assert upload(member_client(), picture()).status_code == 401
    assert upload(staff_client("hq_admin"), picture(), purpose=None).status_code == 422
    assert upload(staff_client("hq_admin"), picture(), purpose="avatar").status_code == 422


def test_a_member_uploads_an_avatar_and_it_completes_the_profile(member_client, client):
    me = member_client(nickname="小周")
    me.patch("/me", {"birthday": "1990-01-01"})
    first = upload(me, picture("WEBP", (900, 900)), "tmp_wx.webp", purpose=None, path="/me/avatar")
    assert first.status_code == 200, first.get_json()
    url = first.get_json()["avatar_url"]
    assert me.get("/me").get_json()["avatar_url"] == url
    assert db.session.get(type(me.member), me.member.id).profile_completed_at is not None
    second = upload(me, picture("PNG"), "again.png", purpose=None, path="/me/avatar")
    assert client.get(url.split("localhost", 1)[1]).status_code == 404  # the old one is gone
    assert client.get(second.get_json()["avatar_url"].split("localhost", 1)[1]).status_code == 200
    assert key_of(url) is not None  # recognised without a request too (the deletion job)


def test_an_avatar_is_checked_like_any_upload(member_client):
    me = member_client()
    renamed = upload(me, b"MZ\x90\x00 an executable" * 50, "avatar.jpg", purpose=None,
                     path="/me/avatar")
    assert renamed.status_code == 422
    huge = upload(me, b"\xff\xd8" + b"\0" * (2 * 1024 * 1024 + 10), "a.jpg", purpose=None,
                  path="/me/avatar")
    assert huge.status_code == 413


def test_image_urls_are_https_or_our_own(staff_client):
    hq = staff_client("hq_admin")
    own = upload(hq, picture(), purpose="tier").get_json()["url"]
    ok = hq.post("/admin/tiers", {"code": "gold", "name": "金卡", "threshold_points": 1000,
                                  "icon_url": own})
    assert ok.status_code == 201, ok.get_json()
    plain_http = hq.post("/admin/tiers", {"code": "silver", "name": "银卡", "threshold_points": 10,
                                          "icon_url": "http://cdn.example.com/s.png"})
    assert plain_http.status_code == 422 and "icon_url" in plain_http.get_json()["error"]["details"]
