"""Report downloads: sheets (analytics.dashboard.reports.Sheet) as CSV — UTF-8 with a BOM, so
Excel opens Chinese correctly; several sheets one after another, each under its title — or as
XLSX (openpyxl), a worksheet per sheet."""
import csv
import io
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def download(sheets: list, name: str, fmt: str) -> Response:
    body, mimetype = (_xlsx(sheets), XLSX) if fmt == "xlsx" else (_csv(sheets), "text/csv")
    filename = f"{name}.{fmt}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={quote(filename)}; "
                               f"filename*=UTF-8''{quote(filename)}"})


def _csv(sheets) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for i, sheet in enumerate(sheets):
        if len(sheets) > 1:
            writer.writerow([sheet.title])
        writer.writerow(sheet.columns)
        writer.writerows(sheet.rows)
        if i + 1 < len(sheets):
            writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(sheets) -> bytes:
    book = Workbook(write_only=True)
    for sheet in sheets:
        page = book.create_sheet(_sheet_title(sheet.title))
        page.append(sheet.columns)
        for row in sheet.rows:
            page.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\."""
    return "".join("_" if c in "[]:*?/\\" else c for c in str(title))[:31]
