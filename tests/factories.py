"""Factories that write through the services, as the app would.

Each factory commits: inside a test's outer transaction that only releases a savepoint (the
test still rolls everything back); in a `committing` test it really commits, so other threads
see the data."""
import itertools

from core.auth import issue_staff_token
from core.db import db
from stores import service as stores_service

_seq = itertools.count(1)


class Factory:
    def __init__(self, app):
        self.app = app

    def store(self, code=None, name=None):
        n = next(_seq)
        store = stores_service.create_store(code or f"S{n:04d}", name or f"Store {n}")
        db.session.commit()
        return store

    def staff(self, role="hq_admin", stores=(), username=None, password="password-123"):
        codes = [s if isinstance(s, str) else s.code for s in stores]
        if role in ("store_manager", "cashier") and not codes:
            codes = [self.store().code]
        staff = stores_service.create_staff(username or f"staff{next(_seq)}", password, role, codes)
        db.session.commit()
        return staff

    def staff_token(self, staff):
        return issue_staff_token(staff)

    def api_key(self, store):
        key, secret = stores_service.create_api_key(store.code)
        db.session.commit()
        return key.key_id, secret
