"""Where uploaded files live, behind one small interface: `save`, `load`, `delete` by key.

`local` (the default) keeps them under MEDIA_DIR on disk — shared storage (NFS) or one media
server when the app is scaled out. Another backend (an S3-compatible store) implements the
same three methods and is chosen by MEDIA_STORAGE."""
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


BACKENDS = {"local": lambda config: LocalStorage(Path(config.get("MEDIA_DIR")
                                                      or INSTANCE_DIR / "media"))}


def storage() -> Storage:
    config = current_app.config
    name = config.get("MEDIA_STORAGE", "local")
    if name not in BACKENDS:
        raise RuntimeError(f"MEDIA_STORAGE={name!r}: no such storage backend ({', '.join(BACKENDS)})")
    return BACKENDS[name](config)
