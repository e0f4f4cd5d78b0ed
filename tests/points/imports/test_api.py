"""POST /admin/points/imports (HQ): a dry run by default, a run with dry_run=false; the same
file run twice moves points once; the rows with their outcomes, paged."""
import io

from points import ledger
from points.imports import jobs


def upload(client, data: bytes, dry_run=True):
    return client.post(f"/admin/points/imports?dry_run={'true' if dry_run else 'false'}",
                       data={"file": (io.BytesIO(data), "bulk.csv")},
                       content_type="multipart/form-data")


def test_a_dry_run_then_the_same_file_run_twice_moves_points_once(staff_client, factory):
    hq = staff_client("hq_admin")
    member = factory.member(points=10)
    data = f"member_no,delta,reason\n{member.member_no},30,补偿\nM404,5,补偿\n".encode()
    checked = upload(hq, data)
    assert checked.status_code == 201
    body = checked.get_json()
    assert (body["status"], body["rows_ok"], body["counts"]) == (
        "checked", 1, {"ok": 1, "unknown_member": 1})
    rows = hq.get(f"/admin/points/imports/{body['id']}/rows?outcome=problems").get_json()
    assert [(r["row_no"], r["outcome"]) for r in rows["items"]] == [(3, "unknown_member")]
    assert ledger.spendable_balance(member.id) == 10

    for _ in range(2):
        ran = upload(hq, data, dry_run=False).get_json()
        jobs.run_import(ran["id"])  # what the queued job does (no worker in tests)
    assert ledger.spendable_balance(member.id) == 40
    last = hq.get(f"/admin/points/imports/{ran['id']}").get_json()
    assert last["status"] == "done" and last["counts"]["already_applied"] == 1
    assert hq.post(f"/admin/points/imports/{ran['id']}/run").status_code == 409


def test_only_hq_admins_upload(staff_client, factory):
    response = upload(staff_client("marketer"), b"member_no,delta,reason\n")
    assert response.status_code == 403


def test_a_file_without_the_columns_is_422_on_file(staff_client):
    response = upload(staff_client("hq_admin"), b"name,amount\nx,1\n")
    assert response.status_code == 422 and "file" in response.get_json()["error"]["details"]
