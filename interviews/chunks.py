"""Where an answer's recording is written while it arrives, chunk by chunk.

Only these few functions touch the bytes. The database is the truth about how
much was received (`Answer.bytes_received`); what lies past it is ignored and
overwritten by the next chunk.

On local disk the chunks are written at their offsets into the file itself,
and `write` cuts the file after its chunk.

In a bucket (MEDIA_STORAGE=s3) each chunk is an object of its own,
`parts/<name>/<offset, 12 digits>`, and the file `<name>` does not exist until
the worker's remux (interviews/tasks.py) reads the parts in order, writes the
result and deletes them. Not an S3 multipart upload: its parts must be at least
5 MB (the room sends a few hundred KB every few seconds), R2 wants them all of
one size, and an unfinished multipart upload cannot be read back to check a
resent chunk. Separate objects are plain PUTs any S3-compatible store takes,
each app server can receive the next chunk (no local disk involved), a resent
chunk at the same offset overwrites its object, and deleting the file deletes
its parts (portal.storage_backends.PrivateS3Storage).
"""

import contextlib
import hashlib
import os
import shutil

from django.conf import settings
from django.core.files import File

from portal.storage import (
    is_object_storage,
    parts_prefix,
    private_storage,
    unguessable_name,
)

READ_SIZE = 64 * 1024
OFFSET_DIGITS = 12  # up to 1 TB


def new_name(extension):
    return unguessable_name("answers", extension)


def write(name, offset, data):
    """Put `data` at `offset` of the file `name` (created if missing), and make
    it the end of what is held. A file this call created is removed if the
    write fails."""
    if is_object_storage():
        _bucket_object(_part_key(name, offset)).put(Body=data)
        return
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
    """The SHA-256 (hex) of `size` bytes at `offset` of what is held."""
    sha = hashlib.sha256()
    for block in read(name, offset, size):
        sha.update(block)
    return sha.hexdigest()


def read(name, offset, size):
    """The `size` bytes held at `offset`, in blocks."""
    if is_object_storage():
        yield from _read_parts(name, offset, size)
        return
    with open(_path(name), "rb") as handle:
        handle.seek(offset)
        while size > 0:
            block = handle.read(min(READ_SIZE, size))
            if not block:
                break
            yield block
            size -= len(block)


def copy_received(name, size, out):
    """Copy what was received for `name` into the binary file `out`: its first
    `size` bytes while it is still in parts, else the whole file."""
    if has_parts(name):
        for block in _read_parts(name, 0, size):
            out.write(block)
        return
    with private_storage().open(name, "rb") as source:
        shutil.copyfileobj(source, out, 1024 * 1024)


def seal(name, path):
    """Store the local file `path` as `name` and drop its parts: what arrived
    stays downloadable when the remux fails. Nothing to do on local disk."""
    if not has_parts(name):
        return
    storage = private_storage()
    with open(path, "rb") as handle:
        stored = storage.save(name, File(handle))
    if stored != name:  # never: the file does not exist while in parts
        raise FileExistsError(name)
    delete_parts(name)


def has_parts(name):
    """True while `name` is a recording still in parts (on S3 only)."""
    return is_object_storage() and bool(_parts(name))


def delete_parts(name):
    """Drop the parts of `name` (it has been written whole meanwhile)."""
    if is_object_storage():
        private_storage().delete_parts(name)


def delete(name):
    """The file and, in a bucket, its parts."""
    if not name:
        return
    if is_object_storage():
        private_storage().delete(name)
        return
    with contextlib.suppress(FileNotFoundError):
        os.remove(_path(name))


# ---- local disk ----


def _path(name):
    return private_storage().path(name)


# ---- a bucket: one object per chunk ----


def _bucket_object(key):
    storage = private_storage()
    return storage.bucket.Object(storage._normalize_name(key))


def _part_key(name, offset):
    return f"{parts_prefix(name)}{offset:0{OFFSET_DIGITS}d}"


def _parts(name):
    """The parts held for `name` as {offset: (key, size)}."""
    storage = private_storage()
    prefix = storage._normalize_name(parts_prefix(name))
    found = {}
    for entry in storage.bucket.objects.filter(Prefix=prefix):
        offset = entry.key[len(prefix) :]
        if offset.isdigit():
            found[int(offset)] = (entry.key, entry.size)
    return found


def _read_parts(name, offset, size):
    """The bytes [offset, offset + size) of the chain of parts starting at 0
    (a part starts where the one before it ends; a part left past the end by a
    failed request is not on the chain, or is overwritten)."""
    parts = _parts(name)
    storage = private_storage()
    position, end = 0, offset + size
    while position < end:
        if position not in parts:
            raise FileNotFoundError(f"{name}: no part at offset {position}")
        key, length = parts[position]
        if length == 0:
            raise FileNotFoundError(f"{name}: empty part at offset {position}")
        first, last = max(offset, position), min(end, position + length)
        if first < last:
            body = storage.bucket.Object(key).get(
                Range=f"bytes={first - position}-{last - position - 1}"
            )["Body"]
            yield from body.iter_chunks(READ_SIZE)
        position += length
