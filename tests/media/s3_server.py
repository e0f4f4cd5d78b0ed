"""A real S3 protocol server of the test's own: moto's server (`python -m moto.server`, from the
test requirements) in its own process on a free port, so the app's boto3 client talks HTTP to it
exactly as it would to MinIO, OSS or COS; stopped at will to be a store that is down."""
import subprocess
import sys
import time

import boto3
import requests

from tests.faults import free_port

ACCESS_KEY, SECRET_KEY, REGION = "test-access-key", "test-secret-key", "us-east-1"


class OwnS3:
    def __init__(self):
        self.port, self.process = free_port(), None
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(self.endpoint + "/moto-api/", timeout=0.5)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the test's S3 server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def client(self):
        """A client of our own, to look into the bucket behind the app's back."""
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def settings(self, bucket, prefix=""):
        """The app's MEDIA_* settings for `bucket` on this server."""
        return {"MEDIA_STORAGE": "s3", "MEDIA_S3_ENDPOINT": self.endpoint,
                "MEDIA_S3_BUCKET": bucket, "MEDIA_S3_REGION": REGION,
                "MEDIA_S3_ACCESS_KEY": ACCESS_KEY, "MEDIA_S3_SECRET_KEY": SECRET_KEY,
                "MEDIA_S3_PREFIX": prefix, "MEDIA_S3_ADDRESSING_STYLE": "path",
                "MEDIA_S3_TIMEOUT": 2.0}
