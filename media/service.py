"""Uploads: an image is decoded, re-encoded and stored under a random key (media.storage),
then served by the app with long cache headers. The file is written before the transaction
commits and removed again if it rolls back."""
import re
import secrets
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from sqlalchemy import delete, select

from core import clock
from core.db import after_commit, db, on_rollback
from core.errors import AppError, NotFound
from media import images
from media.models import PURPOSES, Upload
from media.storage import storage

#: where the app serves media (media.api)
MEDIA_PATH = "/api/v1/media/"
KEY = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
#: an upload's key is random and its content never changes
CACHE_CONTROL = "public, max-age=31536000, immutable"


class TooLarge(AppError):
    status, code, message = 413, "payload_too_large", "The file is too large."


def max_bytes(purpose: str) -> int:
    return PURPOSES[purpose][1]


def store_image(data: bytes, purpose: str, owner: tuple[str, int]) -> Upload:
    """Check (413 over the purpose's size, 422 `file` when it is not a JPEG, PNG or WebP
    picture), re-encode and store an image; returns its row (`url` set)."""
    side, limit = PURPOSES[purpose]
    if len(data) > limit:
        raise TooLarge(f"At most {limit // (1024 * 1024)} MiB.", details={"max_bytes": limit})
    encoded = images.reencode(data, side)
    key = f"{secrets.token_hex(16)}.{encoded.extension}"
    store = storage()
    store.save(key, encoded.data)
    on_rollback(lambda: store.delete(key))
    upload = Upload(key=key, purpose=purpose, content_type=encoded.content_type,
                    size=len(encoded.data), width=encoded.width, height=encoded.height,
                    owner_type=owner[0], owner_id=owner[1], created_at=clock.now())
    db.session.add(upload)
    db.session.flush()
    upload.url = url_of(key)
    return upload


def base_url() -> str:
    """MEDIA_BASE_URL (a CDN, say), or this app's media path on the request's host."""
    configured = current_app.config.get("MEDIA_BASE_URL")
    if configured:
        return configured.rstrip("/") + "/"
    host = request.host_url.rstrip("/") if has_request_context() else ""
    return host + MEDIA_PATH


def url_of(key: str) -> str:
    return base_url() + key


def key_of(url: str | None) -> str | None:
    """The key of a URL our media were served under (MEDIA_BASE_URL, or this app's media
    path on any host: a job has no request to know the host by); None for any other URL."""
    if not url:
        return None
    configured = current_app.config.get("MEDIA_BASE_URL")
    if configured:
        key = url[len(base_url()):] if url.startswith(base_url()) else ""
    else:
        path = urlsplit(url).path
        key = path[len(MEDIA_PATH):] if path.startswith(MEDIA_PATH) else ""
    return key if KEY.fullmatch(key) else None


def is_upload_url(url: str) -> bool:
    """Whether `url` is exactly how one of our uploads is served now (the host included)."""
    key = key_of(url)
    return key is not None and url == url_of(key) and uploaded_by(key) is not None


def load(key: str) -> tuple[bytes, str]:
    """(bytes, content type) of a stored file; 404 if there is none."""
    data = storage().load(key) if KEY.fullmatch(key) else None
    if data is None:
        raise NotFound("No such file.")
    return data, CONTENT_TYPES[key.rsplit(".", 1)[1]]


def forget(url: str | None) -> None:
    """Delete one of our uploads by its URL (a replaced avatar, a deleted account's): the row
    now, the file once the transaction commits. Any other URL is left alone."""
    key = key_of(url)
    if key is None:
        return
    db.session.execute(delete(Upload).where(Upload.key == key))
    store = storage()
    after_commit(lambda: store.delete(key))


def uploaded_by(key: str) -> Upload | None:
    return db.session.scalars(select(Upload).filter_by(key=key)).first()
