import pytest

from core import events


def test_handlers_receive_the_payload_in_order():
    seen = []
    first = events.subscribe("member.phone_bound")(lambda member: seen.append(("a", member)))
    second = events.subscribe("member.phone_bound")(lambda member: seen.append(("b", member)))
    try:
        events.emit("member.phone_bound", member=42)
        assert seen == [("a", 42), ("b", 42)]
    finally:
        events._handlers["member.phone_bound"].remove(first)
        events._handlers["member.phone_bound"].remove(second)


def test_unknown_events_are_refused():
    with pytest.raises(KeyError):
        events.emit("member.teleported")
    with pytest.raises(KeyError):
        events.subscribe("member.teleported")
