"""Private uploads: stored under MEDIA_ROOT/private or in an S3 bucket
(MEDIA_STORAGE, issue 15), never given a public URL."""

import os
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from portal.db import on_commit

# Where a file that arrives in parts (a recording on S3: interviews/chunks.py)
# keeps them until it is put together: `parts/<its name>/<offset>`. One prefix,
# so housekeeping lists only uploads in flight (and a bucket lifecycle rule can
# expire them).
PARTS_PREFIX = "parts/"


class _PrivateStorage(LazyObject):
    """The `private` storage as configured now. A FileField keeps the object it
    was given at import; this one is set up again whenever STORAGES changes, so
    the fields follow the setting (tests switch to S3 and back)."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _follow_storages(setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    return _private


def is_object_storage(storage=None):
    """True when files live in a bucket: no local path to hand to nginx or to
    write at an offset."""
    storage = private_storage() if storage is None else storage
    return getattr(storage, "bucket_name", None) is not None


def media_origin():
    """Where browsers fetch private files from when not from this site: the
    bucket's origin on S3 (signed URLs point there), else ""."""
    storage = private_storage()
    if not is_object_storage(storage):
        return ""
    # Unsigned: the same host as a signed URL, and no credentials needed yet.
    client = storage.unsigned_connection.meta.client
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": storage.bucket_name, "Key": "origin"}
    )
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def unguessable_name(folder, extension):
    """`folder/2026/11/<32 hex>.<ext>`: made by the server, nothing from the user."""
    today = timezone.now()
    return f"{folder}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension.lstrip('.')}"


def parts_prefix(name):
    return f"{PARTS_PREFIX}{name}/"


def delete_file_on_commit(field_file):
    """Remove a stored file once the surrounding transaction has committed."""
    if not field_file or not field_file.name:
        return
    storage, name = field_file.storage, field_file.name
    on_commit(lambda: storage.delete(name))


def walk(prefix="", storage=None):
    """Every stored file whose name starts with `prefix`, as (name, size,
    modified as an aware datetime), on disk or in the bucket (there one listing
    call per thousand objects)."""
    storage = storage or private_storage()
    if is_object_storage(storage):
        start = storage._normalize_name(prefix) if prefix else storage.location
        skip = len(storage.location) + 1 if storage.location else 0
        for entry in storage.bucket.objects.filter(Prefix=start or ""):
            yield entry.key[skip:], entry.size, entry.last_modified
        return
    root = storage.location
    for folder, _dirs, files in os.walk(root):
        for filename in files:
            path = os.path.join(folder, filename)
            name = os.path.relpath(path, root).replace(os.sep, "/")
            if os.path.islink(path) or not name.startswith(prefix):
                continue
            try:
                stat = os.stat(path)
            except FileNotFoundError:  # removed meanwhile
                continue
            yield name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)
