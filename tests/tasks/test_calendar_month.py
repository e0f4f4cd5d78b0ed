"""GET /me/checkins?month=: a month out of the calendar's range is 422, not a 500 (the fuzzer
sent 0000-01, which Python's dates do not have; 9999-12's next month does not exist either)."""
import pytest

from tests.core.test_errors import assert_error


@pytest.mark.parametrize("month", ["0000-01", "0999-12", "9999-12", "2026-13", "2026-1"])
def test_a_month_out_of_range_is_422(member_client, month):
    response = member_client().get("/me/checkins", query_string={"month": month})
    assert "month" in assert_error(response, 422, "validation_error")["details"]


def test_a_month_in_range_is_the_calendar(member_client):
    response = member_client().get("/me/checkins", query_string={"month": "2026-02"})
    assert response.status_code == 200 and response.get_json()["month"] == "2026-02"
