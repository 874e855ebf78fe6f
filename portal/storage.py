"""Private uploads: stored under MEDIA_ROOT/private, never given a public URL."""

import uuid

from django.core.files.storage import storages
from django.utils import timezone

from portal.db import on_commit


def private_storage():
    return storages["private"]


def unguessable_name(folder, extension):
    """`folder/2026/11/<32 hex>.<ext>`: made by the server, nothing from the user."""
    today = timezone.now()
    return f"{folder}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension.lstrip('.')}"


def delete_file_on_commit(field_file):
    """Remove a stored file once the surrounding transaction has committed."""
    if not field_file or not field_file.name:
        return
    storage, name = field_file.storage, field_file.name
    on_commit(lambda: storage.delete(name))
