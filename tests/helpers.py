"""Clients for tests: JSON in and out, bearer tokens, POS signatures."""
import json
import uuid
from contextlib import contextmanager

from sqlalchemy import event
from werkzeug.urls import iri_to_uri

from core import clock
from core.auth import sign, signing_message
from core.db import db


class ApiClient:
    def __init__(self, test_client, token=None, staff=None, member=None):
        self.raw = test_client
        self.token = token
        self.staff = staff
        self.member = member

    def headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def request(self, method, path, json_body=None, headers=None, **kwargs):
        path = path if path.startswith("/api/") or path.startswith("/healthz") else "/api/v1" + path
        return self.raw.open(path, method=method, json=json_body, headers=self.headers(headers),
                             **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body, **kw)

    def patch(self, path, json_body=None, **kw):
        return self.request("PATCH", path, json_body, **kw)

    def put(self, path, json_body=None, **kw):
        return self.request("PUT", path, json_body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class PosClient:
    """Signs each request as API.md says; `tamper` lets a test break one part of it."""

    def __init__(self, test_client, key_id, secret):
        self.raw, self.key_id, self.secret = test_client, key_id, secret

    def signed_headers(self, method, path, body: bytes, *, timestamp=None, nonce=None,
                       secret=None):
        ts = str(int(timestamp if timestamp is not None else clock.now().timestamp()))
        nonce = nonce or uuid.uuid4().hex
        message = signing_message(method, path, ts, nonce, body)
        return {"X-Api-Key": self.key_id, "X-Timestamp": ts, "X-Nonce": nonce,
                "X-Signature": sign(secret or self.secret, message),
                "Content-Type": "application/json"}

    def post(self, path, body=None, **sign_kwargs):
        """POST to `path` percent-encoded as it goes on the wire, signed exactly so."""
        path = iri_to_uri("/api/v1" + path)
        data = json.dumps(body or {}).encode()
        headers = self.signed_headers("POST", path, data, **sign_kwargs)
        return self.raw.post(path, data=data, headers=headers)


@contextmanager
def statements():
    """The SQL statements the engine runs inside the block (a list, filled as they run)."""
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
