"""What staff and other members may see of a member's private data."""


def mask_phone(phone: str | None) -> str | None:
    """138****1234 (the first three and last four digits)."""
    if not phone:
        return None
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:]


def mask_member_no(member_no: str) -> str:
    return member_no[:2] + "*" * max(len(member_no) - 6, 0) + member_no[-4:]
