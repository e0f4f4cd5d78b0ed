"""MEDIA_STORAGE=s3: uploads go to an S3-compatible store (a real S3 protocol server of the
test's own) and are served through the same /api/v1/media/<key> with the same headers."""
import os
import time
import uuid

import pytest

from core.config import ConfigError, load_config
from media.service import key_of
from tests.core.test_errors import assert_error
from tests.media.images import picture
from tests.media.s3_server import OwnS3
from tests.media.test_uploads import upload

CACHE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def s3():
    server = OwnS3().start()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3, app, monkeypatch):
    """A fresh bucket on the server, and the app storing its uploads there for this test."""
    name = f"jifen-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    for setting, value in s3.settings(name, prefix="media/").items():
        monkeypatch.setitem(app.config, setting, value)
    return name


def path_of(url):
    return url.split("localhost", 1)[1]


def test_an_upload_is_stored_in_the_bucket_and_served_through_the_api(
        s3, bucket, app, staff_client, client):
    local_before = sorted(os.walk(app.config["MEDIA_DIR"]))
    response = upload(staff_client("marketer"), picture("JPEG", (800, 600)), "shop.jpg")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    key = key_of(body["url"])
    stored = s3.client().get_object(Bucket=bucket, Key=f"media/{key}")
    stored_bytes = stored["Body"].read()
    assert (stored["ContentType"], stored["CacheControl"]) == ("image/jpeg", CACHE)
    assert len(stored_bytes) == body["size"]

    served = client.get(path_of(body["url"]))
    assert served.status_code == 200
    assert served.data == stored_bytes
    assert served.headers["Cache-Control"] == CACHE
    assert served.headers["Content-Type"] == "image/jpeg"
    assert sorted(os.walk(app.config["MEDIA_DIR"])) == local_before  # nothing on local disk


def test_a_key_not_in_the_bucket_is_404(bucket, client):
    assert_error(client.get(f"/api/v1/media/{'0' * 32}.png"), 404, "not_found")
    assert_error(client.get("/api/v1/media/not-a-key.png"), 404, "not_found")


def test_a_replaced_avatar_is_deleted_from_the_bucket(s3, bucket, member_client, client):
    me = member_client()
    first = upload(me, picture("PNG"), "a.png", purpose=None, path="/me/avatar").get_json()
    second = upload(me, picture("WEBP"), "b.webp", purpose=None, path="/me/avatar").get_json()
    old, new = key_of(first["avatar_url"]), key_of(second["avatar_url"])
    listed = s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [o["Key"] for o in listed] == [f"media/{new}"]
    assert client.get(f"/api/v1/media/{old}").status_code == 404
    assert client.get(f"/api/v1/media/{new}").status_code == 200


def test_a_store_that_is_down_is_503_in_the_error_shape(app, monkeypatch, staff_client, client):
    down = OwnS3().start()
    try:
        down.client().create_bucket(Bucket="jifen-down")
        for setting, value in down.settings("jifen-down").items():
            monkeypatch.setitem(app.config, setting, value)
        url = upload(staff_client("marketer"), picture(), "p.png").get_json()["url"]
        assert client.get(path_of(url)).status_code == 200
    finally:
        down.stop()
    started = time.monotonic()
    error = assert_error(client.get(path_of(url)), 503, "unavailable")
    assert "media store" in error["message"]
    assert_error(upload(staff_client("marketer"), picture(), "p.png"), 503, "unavailable")
    assert time.monotonic() - started < 10  # refused connections: no waiting for timeouts


@pytest.mark.parametrize("settings, problem", [
    ({"MEDIA_STORAGE": "s3"}, "MEDIA_S3_BUCKET"),
    ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE"),
    ({"MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": "b", "MEDIA_S3_ADDRESSING_STYLE": "dns"},
     "MEDIA_S3_ADDRESSING_STYLE"),
])
def test_a_storage_misconfiguration_refuses_to_start(settings, problem):
    with pytest.raises(ConfigError, match=problem):
        load_config(settings)
