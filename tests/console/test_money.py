import pytest

from console.money import NotYuan, fen_to_yuan, format_yuan, yuan_to_fen


@pytest.mark.parametrize("typed, fen", [
    ("0.01", 1), ("12.5", 1250), ("12.50", 1250), ("99999.99", 9999999), ("12", 1200),
    ("¥12.50", 1250), (" 8 ", 800), ("0.1", 10), ("0.29", 29), ("1.00", 100),
])
def test_yuan_typed_at_the_till_becomes_exact_fen(typed, fen):
    assert yuan_to_fen(typed) == fen


@pytest.mark.parametrize("typed", ["12.345", "-1", "1e3", "1,000", "", "abc", "12.", ".5",
                                   "NaN", "inf", "1 000", "0x10", "１２"])
def test_what_is_not_an_amount_in_yuan_is_refused(typed):
    with pytest.raises(NotYuan):
        yuan_to_fen(typed)


def test_fen_are_shown_in_yuan_with_two_decimals():
    assert format_yuan(1) == "¥0.01"
    assert format_yuan(1250) == "¥12.50"
    assert format_yuan(9999999) == "¥99,999.99"
    assert format_yuan(-1250) == "-¥12.50"
    assert str(fen_to_yuan(29)) == "0.29"


def test_no_float_rounding_on_the_way_back():
    for fen in (1, 29, 57, 1001, 9999999):
        assert yuan_to_fen(str(fen_to_yuan(fen))) == fen
