"""Phone numbers, as members are known by them: E.164 ("+8613812345678", "+447700900123"),
WeChat's getPhoneNumber answer with its country code, so two countries' numbers never collide.
A mainland number as a till or a search types it ("13812345678") is the same number with +86."""
import re

MAINLAND = re.compile(r"1[0-9]{10}")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
SEPARATORS = re.compile(r"[\s\-().]")


def to_e164(text: str | None) -> str | None:
    """The number in E.164, or None if it is not one. Accepts "+44 7700 900123",
    "0044 7700 900123" and a mainland "13812345678"."""
    if not text:
        return None
    value = SEPARATORS.sub("", str(text))
    if value.startswith("00"):
        value = "+" + value[2:]
    if MAINLAND.fullmatch(value):
        value = "+86" + value
    return value if E164.fullmatch(value) else None


def national(phone: str) -> str | None:
    """The mainland number without +86 ("13812345678"), or None for another country's."""
    return phone[3:] if phone.startswith("+86") and MAINLAND.fullmatch(phone[3:]) else None
