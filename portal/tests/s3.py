"""moto's standalone S3 server as the bucket of the tests (issue 15).

No MinIO or Ceph can be installed here, so the tests talk to moto over real
HTTP with real SigV4-signed requests, through the same django-storages and
boto3 code that runs against AWS S3 or Cloudflare R2. What moto does not do:
check signatures or the expiry of a signed URL (AWS and R2 do).

`TEST_MEDIA_STORAGE=s3 pytest ...` runs the whole suite on it
(portal/test_settings.py); the S3 tests (portal/tests/test_object_storage.py)
start one of their own either way.
"""

import os
import socket

import boto3
from botocore.config import Config

# Ports of this project's test servers; TEST_S3_PORTS=first-last moves them.
PORTS = os.environ.get("TEST_S3_PORTS", "5100-5199")
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _free_port():
    first, last = (int(n) for n in PORTS.split("-"))
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {PORTS} for moto's S3 server")


def start_server():
    """A ThreadedMotoServer on a free port; returns (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer

    os.environ.update(CREDENTIALS)
    for _ in range(5):
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        try:
            server.start()
        except OSError:  # taken between the probe and the bind
            continue
        return server, f"http://127.0.0.1:{port}"
    raise RuntimeError(f"moto's S3 server could not bind a port in {PORTS}")


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(signature_version="s3v4"),
    )


def create_bucket(endpoint, name):
    client(endpoint).create_bucket(Bucket=name)


def storage_options(endpoint, bucket):
    """STORAGES["private"] on that bucket, as portal/settings.py builds it."""
    return {
        "BACKEND": "portal.storage_backends.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": REGION,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": "auto",
        },
    }
