"""Where uploaded files live, behind one small interface: `save`, `load`, `delete` by key.

`local` (the default) keeps them under MEDIA_DIR on disk — shared storage (NFS) or one media
server when the app is scaled out. `s3` keeps them in a bucket of an S3-compatible store
(media.s3: AWS S3, Aliyun OSS, Tencent COS, MinIO), set by the MEDIA_S3_* settings. Chosen by
MEDIA_STORAGE; `load` is None for a key not stored, and a store that cannot be reached is
503 `unavailable`."""
from pathlib import Path
from typing import Protocol

from flask import current_app

from core.config import INSTANCE_DIR


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def load(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def save(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(path)  # readers never see half a file

    def load(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


S3_SETTINGS = ("MEDIA_S3_ENDPOINT", "MEDIA_S3_REGION", "MEDIA_S3_ACCESS_KEY", "MEDIA_S3_SECRET_KEY",
               "MEDIA_S3_ADDRESSING_STYLE", "MEDIA_S3_TIMEOUT")


def s3_storage(config) -> Storage:
    from media.s3 import S3Storage, client_for

    settings = tuple(config.get(name) for name in S3_SETTINGS)
    clients = current_app.extensions.setdefault("media_s3_clients", {})
    if settings not in clients:  # one client per app and settings: making one takes ~50 ms
        clients[settings] = client_for(config)
    return S3Storage(clients[settings], config["MEDIA_S3_BUCKET"],
                     config.get("MEDIA_S3_PREFIX") or "")


BACKENDS = {"local": lambda config: LocalStorage(Path(config.get("MEDIA_DIR")
                                                      or INSTANCE_DIR / "media")),
            "s3": s3_storage}


def storage() -> Storage:
    config = current_app.config
    name = config.get("MEDIA_STORAGE", "local")
    if name not in BACKENDS:
        raise RuntimeError(f"MEDIA_STORAGE={name!r}: no such storage backend ({', '.join(BACKENDS)})")
    return BACKENDS[name](config)
