"""`flask --app app wx …`: WeChat as this deployment sees it."""
import click

from wx.checks import run_checks
from wx.client import WechatClient

wx_cli = click.Group("wx", help="WeChat: check that it accepts this deployment.")


@wx_cli.command("check")
def check_command():
    """Ask WeChat: the token (credentials, IP whitelist), every active subscribe template
    (id and keys), the pages it opens (released). Exit 1 if anything fails."""
    findings = run_checks(WechatClient.from_config())
    for finding in findings:
        click.echo(str(finding))
    if not all(f.ok for f in findings):
        raise SystemExit(1)


def register(app):
    app.cli.add_command(wx_cli)
