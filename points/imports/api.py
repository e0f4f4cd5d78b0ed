"""HQ's bulk points files: upload (a dry run, or a dry run and then the run as a job), the
import's progress and counts, its rows with their outcomes."""
from flask import g

from core.api import blueprint, documents
from core.auth import staff_required
from core.pagination import page_schema
from media.api import accepts_upload, too_large_documented
from points.imports import checking, running
from points.imports.schemas import ImportArgs, ImportFileIn, ImportOut, RowOut, RowsArgs

admin_blp = blueprint("points_imports_admin", __name__, prefix="/admin/points/imports",
                      description="HQ's bulk points files: dry run, run, per-row outcomes.")
HQ = ("hq_admin",)


def described(sheet) -> dict:
    progress = running.progress(sheet)
    return {**{name: getattr(sheet, name) for name in (
        "id", "filename", "sha256", "status", "rows_total", "rows_ok", "created_at",
        "started_at", "finished_at")}, "percent": progress["percent"],
        "counts": progress["counts"]}


@admin_blp.post("")
@staff_required(*HQ)
@accepts_upload(checking.MAX_BYTES)
@admin_blp.arguments(ImportArgs, location="query")
@admin_blp.arguments(ImportFileIn, location="files")
@admin_blp.response(201, ImportOut)
@too_large_documented(admin_blp)
@documents(admin_blp, 401, 403, 422, auth="staff")
def upload_import(args, files):
    """Check every row of a CSV file (`dry_run`, the default) or check it and run it as a job.
    Each row credits or debits once, keyed by the file's SHA-256 and the row: the same file
    uploaded and run again reports `already_applied` and moves nothing."""
    upload = files["file"]
    sheet = checking.check_file(upload.filename or "upload.csv", upload.read(), g.staff)
    if not args["dry_run"]:
        running.queue_run(sheet.id)
    return described(sheet)


@admin_blp.get("/<int:import_id>")
@staff_required(*HQ)
@admin_blp.response(200, ImportOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
def get_import(import_id):
    return described(running.get_import(import_id))


@admin_blp.post("/<int:import_id>/run")
@staff_required(*HQ)
@admin_blp.response(200, ImportOut)
@documents(admin_blp, 401, 403, 404, 409, auth="staff")
def run_import(import_id):
    """Run a checked import as a job (409 once it has been queued)."""
    running.queue_run(import_id)
    return described(running.get_import(import_id))


@admin_blp.get("/<int:import_id>/rows")
@staff_required(*HQ)
@admin_blp.arguments(RowsArgs, location="query")
@admin_blp.response(200, page_schema(RowOut, "ImportRowPage"))
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def import_rows(args, import_id):
    """The rows in file order with their outcome (and result, once run); `outcome` keeps one
    outcome or result, or `problems` (every row not fit to run)."""
    running.get_import(import_id)
    return running.rows_page(import_id, limit=args["limit"], cursor=args["cursor"],
                             outcome=args.get("outcome"))
