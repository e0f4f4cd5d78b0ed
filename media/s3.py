"""The S3-compatible storage backend (MEDIA_STORAGE=s3): AWS S3, Aliyun OSS, Tencent COS,
MinIO, Ceph — anything that speaks the S3 protocol — through boto3.

An upload is the object `MEDIA_S3_PREFIX + key`, written with its content type and the same
long cache header the app serves it with, so a CDN or the bucket's own public URL
(MEDIA_BASE_URL) serves it exactly as /api/v1/media/<key> does. A store that cannot be
reached, or refuses us, is 503 `unavailable`; a missing object is None (404)."""
import logging

from core.errors import Unavailable
from media.service import CACHE_CONTROL, CONTENT_TYPES

log = logging.getLogger(__name__)
#: what a store answers for an object that is not there
MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Storage:
    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def save(self, key: str, data: bytes) -> None:
        extra = {"CacheControl": CACHE_CONTROL}
        if (content_type := CONTENT_TYPES.get(key.rsplit(".", 1)[-1])) is not None:
            extra["ContentType"] = content_type
        self._call("put_object", Key=self.prefix + key, Body=data, **extra)

    def load(self, key: str) -> bytes | None:
        answer = self._call("get_object", Key=self.prefix + key)
        if answer is None:
            return None
        try:
            return answer["Body"].read()
        except Exception as exc:  # the connection dropped mid-body
            raise _unavailable(exc) from exc

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=self.prefix + key)

    def _call(self, operation: str, **params):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: Exception) -> Unavailable:
    log.warning("media store failed: %s", exc)
    return Unavailable("The media store is unavailable; try again.")


def client_for(config):
    """A boto3 S3 client for the MEDIA_S3_* settings (made once per app: clients are
    thread-safe and slow to make)."""
    import boto3
    from botocore.config import Config

    style = config.get("MEDIA_S3_ADDRESSING_STYLE") or "auto"
    timeout = float(config.get("MEDIA_S3_TIMEOUT") or 5)
    return boto3.session.Session().client(
        "s3",
        endpoint_url=config.get("MEDIA_S3_ENDPOINT") or None,
        region_name=config.get("MEDIA_S3_REGION") or None,
        aws_access_key_id=config.get("MEDIA_S3_ACCESS_KEY") or None,
        aws_secret_access_key=config.get("MEDIA_S3_SECRET_KEY") or None,
        config=Config(connect_timeout=timeout, read_timeout=timeout,
                      retries={"mode": "standard", "max_attempts": 2},
                      s3={"addressing_style": style},
                      # OSS and COS refuse the newer default checksum headers on PUT
                      request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"))
