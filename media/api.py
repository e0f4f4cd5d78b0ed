"""Uploading images (staff) and serving every upload with long cache headers."""
from functools import wraps
from http import HTTPStatus

from flask import Response, g, request

from core.api import blueprint, documents
from core.auth import public, staff_required
from media import service
from media.schemas import FileIn, PurposeIn, UploadOut

admin_blp = blueprint("media_admin", __name__, prefix="/admin/uploads",
                      description="Staff upload product, banner and tier images.")
public_blp = blueprint("media", __name__, prefix="/media",
                       description="Uploaded images, served with long cache headers.")
#: multipart framing around the file
OVERHEAD = 64 * 1024


def accepts_upload(max_bytes):
    """Let this view's request body be as large as the upload allows (the app's default is
    MAX_CONTENT_LENGTH): a larger one is refused with 413 before it is read."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            limit = max_bytes() if callable(max_bytes) else max_bytes
            request.max_content_length = limit + OVERHEAD
            return view(*args, **kwargs)

        return wrapper

    return decorator


def too_large_documented(blp):
    return blp.alt_response(413, response=HTTPStatus(413).name)


@admin_blp.post("")
@staff_required("hq_admin", "marketer", "store_manager")
@accepts_upload(max(service.max_bytes(p) for p in ("product", "banner", "tier")))
@admin_blp.arguments(PurposeIn, location="query")
@admin_blp.arguments(FileIn, location="files")
@admin_blp.response(201, UploadOut)
@too_large_documented(admin_blp)
@documents(admin_blp, 401, 403, 422, 503, auth="staff")
def upload(query, files):
    """`?purpose=` product | banner | tier; multipart/form-data with the image as `file`. It is
    decoded (a renamed non-image is 422 on `file`), scaled down, re-encoded and stored; 413
    over 5 MiB (tier icons 2 MiB); 503 when the media store cannot be reached. Use the
    answer's `url`."""
    data = files["file"].read()
    return service.store_image(data, query["purpose"], ("staff", g.staff.id))


@public_blp.get("/<key>")
@public_blp.response(200, description="The image, as re-encoded (JPEG or PNG).",
                     content_type="image/jpeg")
@documents(public_blp, 404, 503)
@public
def serve(key):
    """An uploaded image, cached for a year (its key's content never changes).

    Read from whichever store keeps the uploads (MEDIA_STORAGE: disk or an S3-compatible
    bucket); 503 `unavailable` when that store cannot be reached."""
    data, content_type = service.load(key)
    return Response(data, mimetype=content_type, headers={"Cache-Control": service.CACHE_CONTROL})
