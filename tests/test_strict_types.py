"""Money (fen), points, quantities and ids are integers on the wire. A float, a numeric string,
a boolean, a number no column holds, NaN, a 10 MB string or deeply nested junk is refused in
the contract's error shape, and nothing is written. Dates and moments keep to years date
arithmetic can step around; a multiplier keeps to its decimal places."""
import json
import uuid

import pytest
from marshmallow import Schema, fields
from sqlalchemy import func, select

from core.db import Base, db
from core.fields import INT_MAX, AwareDateTime, Date, ExactDecimal, Integer
from core.ids import MAX_ID, Id
from mall import catalog
from points.programme.settings import update_settings
from tests.core.test_errors import assert_error
from tests.points.ledger_checks import assert_ledger_consistent

NOT_INTEGERS = [12.5, 12.0, -0.0, "100", "12", "１２", True, False, 2**63, 2**64 + 1,
                -(2**63) - 1, 10**30, "NaN", "nan", "Infinity", float("nan"), float("inf"),
                "1e3", "", [1], {"n": 1}, [[[[1]]]]]

#: the only floats a route may take (GCJ-02 degrees of a store on the map)
COORDINATES = {"latitude", "longitude"}

# --- every schema, statically ---------------------------------------------------------------

def _argument_schemas(app):
    """(endpoint, location, schema) for every schema a route loads its input with."""
    for endpoint, view in app.view_functions.items():
        for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            yield endpoint, parameter["in"], parameter["schema"]


def _number_fields(schema, path=""):
    for name, field in schema.fields.items():
        yield from _numbers_in(field, f"{path}{name}")


def _numbers_in(field, path):
    if isinstance(field, (fields.Number, fields.Date, fields.DateTime)):
        yield path, field
    elif isinstance(field, fields.Nested):
        yield from _number_fields(field.schema, path + ".")
    elif isinstance(field, fields.List):
        yield from _numbers_in(field.inner, path + "[]")
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        yield from _numbers_in(field.value_field, path + "{}")


def test_every_number_and_date_a_route_loads_is_strict_and_bounded(app):
    checked, offenders = 0, []
    for endpoint, location, schema in _argument_schemas(app):
        for path, field in _number_fields(schema):
            checked += 1
            where = f"{endpoint} {location} {path}"
            if isinstance(field, (fields.Date, fields.DateTime)):
                if not isinstance(field, (Date, AwareDateTime)):
                    offenders.append(f"{where}: {type(field).__name__}, not core.fields' own")
            elif isinstance(field, fields.Float) and path in COORDINATES:
                pass  # a place on the map, not an amount: a float within its range
            elif isinstance(field, fields.Decimal):
                if not isinstance(field, ExactDecimal) or field.places is None:
                    offenders.append(f"{where}: {type(field).__name__} without places")
            elif not isinstance(field, Integer):
                offenders.append(f"{where}: {type(field).__name__}, not core.fields.Integer")
            elif field.text != (location == "query"):
                offenders.append(f"{where}: text={field.text} in the {location}")
            elif _largest(field) > (MAX_ID if isinstance(field, Id) else INT_MAX):
                offenders.append(f"{where}: up to {_largest(field)}")
    assert offenders == []
    assert checked > 60


def _largest(field):
    return min(v.max for v in field.validators if getattr(v, "max", None) is not None)


class Probe(Schema):
    n = Integer()


@pytest.mark.parametrize("value", NOT_INTEGERS, ids=repr)
def test_the_field_refuses_what_is_not_an_integer(value):
    assert "n" in Probe().validate({"n": value})


def test_the_field_takes_integers_up_to_what_an_int_column_holds():
    assert Probe().load({"n": -0}) == {"n": 0}  # JSON's -0 is the integer 0
    assert Probe().load({"n": INT_MAX}) == {"n": INT_MAX}
    assert "n" in Probe().validate({"n": INT_MAX + 1})
    assert "n" in Probe().validate({"n": -INT_MAX - 2})


@pytest.mark.parametrize("text", ["1.5", "1e3", " 1", "1 ", "+1", "1_000", "١٢", "0x10", "", "-",
                                  "9" * 25])
def test_a_query_integer_is_plain_digits(staff_client, text):
    response = staff_client("hq_admin").get("/admin/products", query_string={"limit": text})
    error = assert_error(response, 422, "validation_error")
    assert "limit" in error["details"]


def test_a_query_integer_in_digits_is_read(staff_client):
    response = staff_client("hq_admin").get("/admin/products", query_string={"limit": "7"})
    assert response.status_code == 200


# --- the write endpoints, with real data behind them ----------------------------------------

@pytest.fixture
def world(factory, pos_client, staff_client, member_client):
    store = factory.store()
    update_settings({"deduction": {"points_per_yuan": 100, "max_ratio_percent": 50}})
    product = catalog.create_product({"title": "Mug", "kind": "gift", "points_price": 10,
                                      "stock": 5})
    db.session.commit()
    member = member_client(points=5000)
    pos = pos_client(store)
    first = pos.post("/pos/orders", {"store_code": store.code, "order_no": "FIRST",
                                     "amount_fen": 10000, "member_no": member.member.member_no})
    assert first.status_code == 201
    return {"store": store, "pos": pos, "hq": staff_client("hq_admin"), "member": member,
            "product": product}


def _requests(w):
    """(who, method, path, valid body, the integer fields to spoil) for each write endpoint."""
    s, no, pid = w["store"].code, w["member"].member.member_no, w["product"].id
    order = {"store_code": s, "order_no": "O-2", "amount_fen": 12345, "member_no": no,
             "items": [{"sku": "a", "category": "tea", "amount_fen": 12345, "quantity": 2}]}
    return [
        ("pos", "POST", "/pos/orders", order, ["amount_fen", "items.0.amount_fen", "items.0.quantity"]),
        ("hq", "POST", "/staff/orders", {**order, "order_no": "O-3"}, ["amount_fen"]),
        ("pos", "POST", "/pos/orders/FIRST/refunds",
         {"store_code": s, "refund_no": "R-1", "amount_fen": 100}, ["amount_fen"]),
        ("pos", "POST", "/pos/deductions/quote",
         {"store_code": s, "amount_fen": 10000, "member_no": no}, ["amount_fen"]),
        ("pos", "POST", "/pos/deductions",
         {"store_code": s, "order_no": "D-1", "amount_fen": 10000, "points": 100,
          "member_no": no}, ["amount_fen", "points"]),
        ("hq", "POST", f"/staff/members/{no}/adjustments", {"delta": 5, "reason": "test"},
         ["delta"]),
        ("member", "POST", "/mall/redemptions", {"product_id": pid, "quantity": 1},
         ["product_id", "quantity"]),
        ("hq", "POST", "/admin/products",
         {"title": "T", "kind": "gift", "points_price": 5, "stock": 3, "cash_price_fen": 0,
          "per_member_limit": 1, "pickup_days": 7},
         ["points_price", "stock", "cash_price_fen", "per_member_limit", "pickup_days"]),
        ("hq", "POST", f"/admin/products/{pid}/stock", {"delta": 2, "reason": "more"}, ["delta"]),
        ("hq", "PUT", "/admin/settings",
         {"earn": {"points_per_yuan": 2}, "point_value_fen": 1, "registration_bonus": 10,
          "deduction": {"points_per_yuan": 100, "max_ratio_percent": 10}},
         ["earn.points_per_yuan", "point_value_fen", "registration_bonus",
          "deduction.max_ratio_percent"]),
        ("hq", "POST", "/admin/tiers", {"code": "gold", "name": "Gold", "threshold_points": 100},
         ["threshold_points"]),
        ("hq", "POST", "/admin/tasks",
         {"kind": "referral", "inviter_points": 10, "invitee_points": 5, "trigger": "register",
          "monthly_cap": 3, "budget_points": 1000},
         ["inviter_points", "invitee_points", "monthly_cap", "budget_points"]),
        ("hq", "POST", "/admin/promotions",
         {"name": "P", "bonus_points": 5, "starts_at": "2026-01-01T00:00:00+08:00",
          "ends_at": "2027-01-01T00:00:00+08:00", "min_amount_fen": 100, "weekdays": [3]},
         ["bonus_points", "min_amount_fen", "weekdays.0"]),
        ("hq", "POST", "/staff/coupons/verify",
         {"coupon_code": "123456", "store_code": s, "order_amount_fen": 100},
         ["order_amount_fen"]),
    ]


def _send(w, who, method, path, body, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    if who == "pos":
        full = "/api/v1" + path
        headers = w["pos"].signed_headers(method, full, data)
        return w["pos"].raw.open(full, method=method, data=data, headers=headers)
    client = w[who]
    headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    return client.raw.open("/api/v1" + path, method=method, data=data,
                           headers=client.headers(headers))


def _spoiled(body, path, value):
    body = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


def _row_counts():
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables}


def test_a_spoilt_integer_is_422_and_nothing_is_written(world):
    before = _row_counts()
    for who, method, path, body, integer_fields in _requests(world):
        for field in integer_fields:
            for value in NOT_INTEGERS:
                response = _send(world, who, method, path, _spoiled(body, field, value))
                error = assert_error(response, 422, "validation_error")
                assert field.split(".")[0] in error["details"], (path, field, value, error)
    assert _row_counts() == before
    assert_ledger_consistent()


def test_the_valid_bodies_are_accepted(world):
    """The bodies above are right but for the spoilt field: each goes through unspoilt."""
    for who, method, path, body, _fields in _requests(world):
        response = _send(world, who, method, path, body)
        expected = 404 if path == "/staff/coupons/verify" else None
        assert response.status_code == expected if expected else response.status_code < 300, \
            (path, response.get_data(as_text=True)[:300])
    from points.programme.jobs import raise_tiers
    raise_tiers()  # what the new tier's creation enqueued (a worker runs it; the suite has none)
    assert_ledger_consistent()


def test_huge_and_deep_bodies_are_refused_in_the_error_shape(world):
    before = _row_counts()
    _who, method, path, body, _ = _requests(world)[0]
    ten_mb = json.dumps({**body, "order_no": "x" * (10 * 1024 * 1024)}).encode()
    assert_error(_send(world, "pos", method, path, None, raw=ten_mb), 413, "payload_too_large")
    for depth in (5000, 100_000):
        deep = json.dumps(body)[:-1] + ', "amount_fen": ' + "[" * depth + "]" * depth + "}"
        assert_error(_send(world, "pos", method, path, None, raw=deep.encode()),
                     400, "bad_request")
        assert_error(_send(world, "member", "POST", "/mall/redemptions", None,
                           raw=('{"product_id": ' + "[" * depth + "]" * depth + "}").encode()),
                     400, "bad_request")
    assert _row_counts() == before
    assert_ledger_consistent()


def test_a_boolean_quantity_of_a_sold_out_product_is_422_not_out_of_stock(world):
    product = catalog.create_product({"title": "Gone", "kind": "gift", "points_price": 10,
                                      "stock": 0})
    db.session.commit()
    sold_out = _send(world, "member", "POST", "/mall/redemptions", {"product_id": product.id})
    assert_error(sold_out, 409, "out_of_stock")  # and the stock gate now knows it
    body = {"product_id": product.id, "quantity": True}
    assert_error(_send(world, "member", "POST", "/mall/redemptions", body), 422,
                 "validation_error")


def test_an_order_larger_than_the_column_holds_is_422(world):
    """3,000,000,000 fen was inside the old bound (10^10) and outside the INT column: a 500."""
    _who, method, path, body, _ = _requests(world)[0]
    response = _send(world, "pos", method, path, {**body, "amount_fen": 3_000_000_000})
    assert "amount_fen" in assert_error(response, 422, "validation_error")["details"]


FAR = ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1899-12-31T23:59:59+00:00"]


@pytest.mark.parametrize("moment", FAR)
def test_a_moment_out_of_the_years_is_422_not_a_500(world, moment):
    """An order paid at 0001-01-01T00:00+08:00 was a year-0 UTC time: a 500 (the fuzzer)."""
    _who, method, path, body, _ = _requests(world)[0]
    response = _send(world, "pos", method, path, {**body, "paid_at": moment})
    assert "paid_at" in assert_error(response, 422, "validation_error")["details"]
    promotion = {"name": "P", "bonus_points": 5, "starts_at": moment,
                 "ends_at": "2027-01-01T00:00:00+08:00"}
    response = _send(world, "hq", "POST", "/admin/promotions", promotion)
    assert "starts_at" in assert_error(response, 422, "validation_error")["details"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_out_of_the_years_is_422_not_a_500(world, day):
    for bound in ("from", "to"):
        response = world["member"].get("/me/points/entries", query_string={bound: day})
        assert bound in assert_error(response, 422, "validation_error")["details"]
    response = world["hq"].get("/admin/reports/settlement",
                               query_string={"from": "2026-01-01", "to": day})
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("multiplier", [10.000000000000002, 1.234, "1.005", True, 1e308])
def test_a_multiplier_beyond_its_places_is_422_not_rounded(world, multiplier):
    response = _send(world, "hq", "POST", "/admin/earn-rules",
                     {"category": "tea", "multiplier": multiplier})
    assert "multiplier" in assert_error(response, 422, "validation_error")["details"]
    assert _send(world, "hq", "POST", "/admin/earn-rules",
                 {"category": "tea", "multiplier": "1.25"}).status_code == 201
