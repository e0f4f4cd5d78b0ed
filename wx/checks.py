"""Does WeChat accept this deployment? (`flask --app app wx check`)

- the token: stable_token answers, so the AppID and AppSecret are right and this server's IP
  is on the whitelist (40164 otherwise: the fix is named);
- every active subscribe template: the account has it, with exactly the mapped keys;
- the pages WeChat opens (each active template's, and those in PAGES): in the released version
  (a mini-program code with check_path true answers 41030 for any other page).
"""
from dataclasses import dataclass
from importlib import import_module
from typing import NamedTuple

from core.db import run_in_transaction
from core.errors import AppError
from wx import templates
from wx.client import WechatClient, WechatConfigError
from wx.health import whitelist_fix

#: other pages WeChat must open, by what opens them ("module:NAME"); app.py may add its own
PAGES = {"invite code": "members.images:INVITE_PAGE",
         "store visit code": "points.campaigns.visits:VISIT_PAGE"}
NOT_RELEASED = 41030


@dataclass
class Finding:
    subject: str
    ok: bool
    text: str

    def __str__(self):
        return f"{'ok  ' if self.ok else 'FAIL'} {self.subject}: {self.text}"


class Mapping(NamedTuple):
    purpose: str
    template_id: str
    page: str | None
    fields: dict


def run_checks(client: WechatClient) -> list[Finding]:
    """Every check, in order; nothing past the token is asked if WeChat refuses the token."""
    token = _token(client)
    if not token.ok:
        return [token]
    active = run_in_transaction(_active_mappings, should_commit=lambda _result: False)
    return [token, *_templates(client, active), *_pages(client, active)]


def _active_mappings() -> list[Mapping]:
    return [Mapping(t.purpose, t.template_id, t.page, dict(t.fields))
            for t in templates.list_templates() if t.active]


def _token(client) -> Finding:
    try:
        client.tokens.fetch()
    except WechatConfigError as exc:
        return Finding("token", False, f"WeChat refuses this server's IP (40164): "
                                       f"{whitelist_fix(exc.details.get('errmsg', ''))}")
    except AppError as exc:
        return Finding("token", False, f"{exc.message} {exc.details or ''}".strip())
    return Finding("token", True, "stable_token answered: AppID, AppSecret and IP whitelist ok")


def _templates(client, active) -> list[Finding]:
    if not active:
        return []
    try:
        account = client.account_templates()
    except AppError as exc:
        return [Finding("templates", False, f"cannot list the account's templates: {exc.message}")]
    findings = []
    for t in active:
        problems = templates.account_problems(t.template_id, t.fields, account)
        text = "; ".join(m for ms in _messages(problems) for m in ms) or "the account has it"
        findings.append(Finding(f"template {t.purpose} ({t.template_id})", not problems, text))
    return findings


def _messages(problems: dict):
    for value in problems.values():
        yield from (value.values() if isinstance(value, dict) else [value])


def _pages(client, active) -> list[Finding]:
    pages = {t.page: f"template {t.purpose}" for t in active if t.page}
    for name, path in PAGES.items():
        module, _, attr = path.partition(":")
        pages.setdefault(getattr(import_module(module), attr), name)
    return [_page(client, page, user) for page, user in sorted(pages.items())]


def _page(client, page, user) -> Finding:
    subject = f"page {page} ({user})"
    try:
        client.call("post", "wxa/getwxacodeunlimit", data={
            "scene": "check", "page": page.split("?", 1)[0], "check_path": True,
            "env_version": "release"})
    except AppError as exc:
        if exc.details.get("errcode") == NOT_RELEASED:
            return Finding(subject, False, "not in the released version: release it, or until "
                                           "then set WECHAT_ENV_VERSION=trial and "
                                           "WECHAT_CHECK_PATH=false (invite codes)")
        return Finding(subject, False, exc.message)
    return Finding(subject, True, "in the released version")
