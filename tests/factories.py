"""Factories that write through the services, as the app would.

Each factory commits: inside a test's outer transaction that only releases a savepoint (the
test still rolls everything back); in a `committing` test it really commits, so other threads
see the data."""
import itertools
import secrets
from datetime import date

from core import clock
from core.auth import issue_member_token, issue_staff_token
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

    def member(self, *, phone=None, birthday: date | None = None, nickname=None, points=0,
               store=None):
        """A WeChat member with an open points account (and `points` earned, if given)."""
        from members.models import Member
        from points import ledger

        n = next(_seq)  # sequential, so a unique key never collides and ends a test run early
        member = Member(member_no=f"9{n:09d}", invite_code=f"T{n:07d}", nickname=nickname,
                        phone=phone, birthday=birthday, created_at=clock.now())
        db.session.add(member)
        db.session.flush()
        ledger.open_account(member.id)
        if points:
            self.credit(member, points, store=store)
        db.session.commit()
        return member

    def wechat(self, member, openid=None, *, unionid=None, appid=None):
        """Give the member a WeChat identity (the mini-program's openid by default)."""
        from members.models import WechatIdentity

        identity = WechatIdentity(member_id=member.id, appid=appid or self.app.config["WECHAT_APPID"],
                                  openid=openid or f"openid-{member.id}", unionid=unionid,
                                  created_at=clock.now(), last_login_at=clock.now())
        db.session.add(identity)
        db.session.commit()
        return identity

    def consent(self, member, template_id, times=1):
        """`times` accepted one-time subscriptions of the member to the template."""
        from members import service as members_service

        for _ in range(times):
            members_service.record_consent(member, template_id, True)
        db.session.commit()

    def credit(self, member, points, *, kind="earn", store=None, key=None, **kwargs):
        from points import ledger

        entry = ledger.credit(member.id, points, kind=kind,
                                      key=key or f"test:{secrets.token_hex(8)}",
                                      store_id=store.id if store else None, **kwargs)
        db.session.commit()
        return entry

    def member_token(self, member):
        return issue_member_token(member.id)
