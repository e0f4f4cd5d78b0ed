"""Images uploaded from a console form, through the media service (the API's upload: the same
size limits, decoding and re-encoding); a refused file is named in a 422 field error."""
from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from console.blueprint import bp
from console.views import InvalidInput, render
from core.errors import AppError
from media import service as media

MIB = 1024 * 1024


def upload_images(files, purpose: str, staff, *, field: str) -> list[str]:
    """Store each file given (empty inputs skipped): their URLs, or InvalidInput on `field`
    naming every file refused (too large, not a JPEG, PNG or WebP picture). The request then
    fails, so nothing it wrote stays (media removes a stored file on rollback)."""
    urls, problems = [], []
    for upload in files or []:
        if upload is None or not getattr(upload, "filename", ""):
            continue
        data = upload.read()
        try:
            urls.append(media.store_image(data, purpose, ("staff", staff.id)).url)
        except media.TooLarge:
            problems.append(_("%(file)s is larger than %(mib)s MiB.", file=upload.filename,
                              mib=media.max_bytes(purpose) // MIB))
        except AppError:
            problems.append(_("%(file)s is not a JPEG, PNG or WebP picture.",
                              file=upload.filename))
    if problems:
        raise InvalidInput({field: problems})
    return urls


#: files one form may send together at their largest
FILES_PER_FORM = 4
OVERHEAD = 64 * 1024  #: the form's other fields and the multipart framing


def accepts_uploads(purpose: str):
    """A view whose form may carry images for `purpose`: its body may be that much larger than
    the app's MAX_CONTENT_LENGTH (applied before anything reads the body: allow_upload_size)."""

    def decorator(view):
        view.upload_bytes = media.max_bytes(purpose) * FILES_PER_FORM + OVERHEAD
        return view

    return decorator


def allow_upload_size() -> None:
    """Let an upload form's body be as large as its view accepts (before CSRF reads it)."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "upload_bytes", None)
    if limit:
        request.max_content_length = limit


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    return render("refused.html", 413, message=_(
        "The files sent together are too large: send at most %(n)s images of at most "
        "%(mib)s MiB each at a time.", n=FILES_PER_FORM, mib=media.max_bytes("product") // MIB))
