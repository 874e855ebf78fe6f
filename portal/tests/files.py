"""Reading private files through their views, on local disk or S3 (issue 15).

On S3 a file view answers 302 to a signed URL; `fetch` follows it to the
bucket (moto in the tests) as a browser would, so a test asserts the bytes a
viewer gets wherever they come from."""

import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from django.conf import settings

from portal.storage import PARTS_PREFIX, is_object_storage, private_storage, walk

# The suite's storage (TEST_MEDIA_STORAGE=s3 runs it on moto).
SUITE_ON_S3 = settings.MEDIA_STORAGE == "s3"
local_disk_only = pytest.mark.skipif(
    SUITE_ON_S3,
    reason="local disk by nature (the suite runs on S3; "
    "portal/tests/test_object_storage.py covers the bucket)",
)


def local_private_root():
    """MEDIA_ROOT/private, for tests about the local disk itself. Never built
    from the storage's `location`: in a bucket that is "", which as a Path is
    the current directory."""
    if SUITE_ON_S3:
        pytest.skip("local disk by nature: the suite runs on S3")
    return Path(settings.MEDIA_ROOT) / "private"


def empty_private_storage():
    """Remove every private file (earlier tests' files outlive their rows)."""
    storage = private_storage()
    if is_object_storage(storage):
        storage.bucket.objects.all().delete()
        return
    root = Path(settings.MEDIA_ROOT) / "private"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)


@dataclass
class Served:
    status: int
    headers: object  # case-insensitive, like response.headers
    body: bytes
    redirected: bool = False


def fetch(client, url, headers=None):
    headers = dict(headers or {})
    response = client.get(url, headers=headers)
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith(("http://", "https://")):
        request = urllib.request.Request(location, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return Served(answer.status, answer.headers, answer.read(), True)
        except urllib.error.HTTPError as error:
            return Served(error.code, error.headers, error.read(), True)
    if response.streaming:
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    return Served(response.status_code, response.headers, body)


def stored_names(folder):
    """The stored files under `folder`, a recording still in parts counting as
    its one file, as PurePosixPaths."""
    names = set()
    for name, _size, _modified in walk():
        if name.startswith(PARTS_PREFIX):
            name = name[len(PARTS_PREFIX) :].rsplit("/", 1)[0]
        if name.startswith(f"{folder}/"):
            names.add(PurePosixPath(name))
    return sorted(names)
