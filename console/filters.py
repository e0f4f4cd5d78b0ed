"""What templates show: money in yuan, times in BUSINESS_TZ, masked phones."""
from core import clock
from console.money import format_yuan
from members.masking import mask_phone


def local_time(moment, fmt="%Y-%m-%d %H:%M") -> str:
    """A UTC moment as the business time zone's wall clock."""
    return moment.astimezone(clock.business_tz()).strftime(fmt) if moment else "—"


def register(app) -> None:
    app.jinja_env.filters.update(yuan=format_yuan, local_time=local_time, masked=mask_phone)
