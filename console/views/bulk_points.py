"""Bulk points (HQ): upload a CSV, read the dry run's verdict on every row, run it as a job
with its progress polled, download the per-row report. points.imports does the work."""
import csv
import io

from flask import Response, flash, g, request
from flask_babel import gettext as _, lazy_gettext as _l

from console import session as console_session
from console.blueprint import bp
from console.hq_forms import UploadForm
from console.views import go, refusal, render
from core.errors import AppError
from points.imports import checking, running
from points.imports.models import DONE, QUEUED, RUNNING

HQ = ("hq_admin",)
PER_PAGE = 100
#: what each row's verdict or result is called on the page and in the report
OUTCOMES = {
    checking.OK: _l("fit to run"), checking.UNKNOWN_MEMBER: _l("unknown member"),
    checking.WOULD_GO_NEGATIVE: _l("would go negative"),
    checking.DUPLICATE_ROW: _l("duplicate row"), checking.BAD_NUMBER: _l("bad number"),
    checking.NO_REASON: _l("no reason"), running.APPLIED: _l("applied"),
    running.ALREADY_APPLIED: _l("already applied by an earlier upload of this file"),
    running.INSUFFICIENT: _l("not enough points at the run"),
}
STATUSES = {"checked": _l("Dry run done"), QUEUED: _l("Queued"), RUNNING: _l("Running"),
            DONE: _l("Done")}


@bp.url_value_preprocessor
def allow_large_upload(endpoint, _values):
    """The upload's body may be larger than MAX_CONTENT_LENGTH. Set here, before the CSRF
    check (a before_request) reads the form."""
    if endpoint == "console.upload_points":
        request.max_content_length = checking.MAX_BYTES + 64 * 1024


@bp.get("/hq/points-imports")
@console_session.staff_page(*HQ, store=False)
def bulk_points():
    return _uploads(UploadForm(formdata=None))


def _uploads(form, status=200, refused=None):
    return render("hq/bulk_points.html", status, form=form, refused=refused,
                  imports=running.recent_imports(), statuses=STATUSES)


@bp.post("/hq/points-imports")
@console_session.staff_page(*HQ, store=False)
def upload_points():
    form = UploadForm()
    if not form.validate():
        return _uploads(form, 422)
    upload = form.file.data
    try:
        sheet = checking.check_file(upload.filename or "upload.csv", upload.read(), g.staff)
    except AppError as exc:
        return _uploads(form, exc.status, refusal(exc, "bulk_points"))
    return go("console.points_import", import_id=sheet.id)


@bp.get("/hq/points-imports/<int:import_id>")
@console_session.staff_page(*HQ, store=False)
def points_import(import_id):
    sheet = running.get_import(import_id)
    shown = request.args.get("outcome") or None
    rows = running.rows_page(import_id, limit=PER_PAGE, cursor=request.args.get("cursor"),
                             outcome=shown)
    return render("hq/points_import.html", sheet=sheet, rows=rows, shown=shown,
                  outcomes=OUTCOMES, statuses=STATUSES, progress=running.progress(sheet))


@bp.get("/hq/points-imports/<int:import_id>/progress")
@console_session.staff_page(*HQ, store=False)
def import_progress(import_id):
    sheet = running.get_import(import_id)
    return render("hq/import_progress.html", sheet=sheet, progress=running.progress(sheet),
                  outcomes=OUTCOMES, statuses=STATUSES)


@bp.post("/hq/points-imports/<int:import_id>/run")
@console_session.staff_page(*HQ, store=False)
def run_points_import(import_id):
    try:
        running.queue_run(import_id)
    except AppError as exc:
        flash(refusal(exc, "bulk_points")["message"], "error")
        return go("console.points_import", import_id=import_id)
    flash(_("The run has started; this page follows it."), "success")
    return go("console.points_import", import_id=import_id)


@bp.post("/hq/points-imports/<int:import_id>/resume")
@console_session.staff_page(*HQ, store=False)
def resume_points_import(import_id):
    """Queue the run again (a worker died): it goes on from the last chunk committed."""
    running.resume(import_id)
    return go("console.points_import", import_id=import_id)


@bp.get("/hq/points-imports/<int:import_id>/report.csv")
@console_session.staff_page(*HQ, store=False)
def import_report(import_id):
    """Every row with its verdict and result: UTF-8 with a BOM, so Excel reads the Chinese."""
    sheet = running.get_import(import_id)
    header = [_("Row"), _("Phone or member number"), _("Member number"), _("Points"),
              _("Reason"), _("Dry run"), _("Run"), _("Balance after")]

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([row.row_no, row.identifier, row.member_no or "", row.delta or "",
                      row.reason or "", OUTCOMES.get(row.outcome, row.outcome),
                      OUTCOMES.get(row.result, row.result or ""),
                      "" if row.balance_after is None else row.balance_after]
                     for row in running.report_rows(import_id))
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f"attachment; filename=points-import-{sheet.id}-report.csv"})
