"""Where an answer's recording is written while it arrives, chunk by chunk.

Only these few functions touch the bytes, so an object-store backend (S3
multipart, issue 15) can replace this module. The database is the truth about
how much was received: `write` truncates whatever lies past its chunk, so bytes
of a request that failed after writing are overwritten by the next chunk.
"""

import contextlib
import hashlib
import os

from django.conf import settings

from portal.storage import private_storage, unguessable_name

READ_SIZE = 64 * 1024


def new_name(extension):
    return unguessable_name("answers", extension)


def _path(name):
    return private_storage().path(name)


def write(name, offset, data):
    """Put `data` at `offset` of the file `name` (created if missing) and cut
    the file there. A file this call created is removed if the write fails."""
    path = _path(name)
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS, exist_ok=True)
    created = not os.path.exists(path)
    try:
        flags = os.O_WRONLY | os.O_CREAT
        fd = os.open(path, flags, settings.FILE_UPLOAD_PERMISSIONS or 0o640)
        with os.fdopen(fd, "wb") as handle:
            handle.seek(offset)
            handle.write(data)
            handle.truncate()
    except OSError:
        if created:
            delete(name)
        raise


def digest(name, offset, size):
    """The SHA-256 (hex) of `size` bytes at `offset` of the stored file."""
    sha = hashlib.sha256()
    with open(_path(name), "rb") as handle:
        handle.seek(offset)
        while size > 0:
            block = handle.read(min(READ_SIZE, size))
            if not block:
                break
            sha.update(block)
            size -= len(block)
    return sha.hexdigest()


def delete(name):
    if name:
        with contextlib.suppress(FileNotFoundError):
            os.remove(_path(name))
