"""The private storage's backend: Django's FileSystemStorage, except that a file
whose writing fails half-way (disk full, read-only or failing disk) is removed
instead of being left behind as a torn fragment with no record."""

import contextlib
import os

from django.core.files.storage import FileSystemStorage


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
