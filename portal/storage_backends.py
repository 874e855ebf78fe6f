"""The private storage's backends. On disk: Django's FileSystemStorage, except
that a file whose writing fails half-way (disk full, read-only or failing disk) is
removed instead of being left behind as a torn fragment with no record. In a
bucket: django-storages' S3 backend (issue 15)."""

import contextlib
import os

from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from portal.storage import parts_prefix


class PrivateFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            return super()._save(name, content)
        except OSError:
            # Only a file this call created; a name clash (FileExistsError inside
            # Django's loop) picks another name and is not an error here.
            if not existed and os.path.lexists(path):
                # The original error is the one to report.
                with contextlib.suppress(OSError):
                    os.remove(path)
            raise


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend for the private files (MEDIA_STORAGE=s3).

    Deleting a file also deletes the parts it may still be arriving in
    (portal.storage.parts_prefix): every path that removes a recording (a
    retake, a purge, a deleted account) then leaves nothing behind in the bucket.
    """

    def delete(self, name):
        super().delete(name)
        self.delete_parts(name)

    def delete_parts(self, name):
        prefix = self._normalize_name(parts_prefix(name))
        self.bucket.objects.filter(Prefix=prefix).delete()
