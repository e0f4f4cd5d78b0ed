"""What staff and other members may see of a member's private data."""
from members.phones import national


def mask_phone(phone: str | None) -> str | None:
    """138****1234 for a mainland number (as its owner knows it, without +86); another
    country's keeps its + and country code: +4477****0123. Four digits are hidden either way,
    those before the last four."""
    if not phone:
        return None
    number = national(phone) or phone
    return number[:-8] + "****" + number[-4:]


def mask_member_no(member_no: str) -> str:
    return member_no[:2] + "*" * max(len(member_no) - 6, 0) + member_no[-4:]
