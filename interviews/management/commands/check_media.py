"""Compare the private uploads with the database.

Reports records whose file is missing (a payment proof or a recorded answer that
cannot be shown) and files under MEDIA_ROOT/private that no record points to
(left by a crash between writing a file and committing its row, or by a restore of
mismatched backups); on S3 (MEDIA_STORAGE=s3) the same, in the bucket, where the
parts of a recording still arriving belong to its answer. `--fix` deletes those
orphan files; records are never deleted, because a missing file is evidence an
operator must look at (restore it from a backup, or decide about the payment or
interview by hand).

Files younger than --min-age-minutes are left alone: an upload being saved right
now has its file on disk a moment before its row is committed.

It also lists stale temporary uploads (Django's `tmp*.upload*` files in
FILE_UPLOAD_TEMP_DIR): a worker killed in the middle of receiving a file cannot
delete its temporary file, and `--fix` removes them too.

Exit status: 0 when everything matches (or --fix removed every problem it could),
1 while any problem remains, so a cron job or a monitor can alert on it.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.utils import timezone

from interviews.chunks import has_parts
from interviews.housekeeping import stale_temporary_uploads
from portal.storage import PARTS_PREFIX, is_object_storage, private_storage, walk


def private_file_fields():
    """Every FileField of every model that stores into the private storage."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and (
                field.storage is private_storage()
            ):
                yield model, field


def _where(storage):
    if is_object_storage(storage):
        return f"bucket {storage.bucket_name}"
    return str(Path(storage.location))


def _owner(name):
    """The file a part belongs to (parts/<name>/<offset>), else the name."""
    if name.startswith(PARTS_PREFIX):
        return name[len(PARTS_PREFIX) :].rsplit("/", 1)[0]
    return name


def _label(model, row_id):
    return f"{model._meta.label} {row_id}"


class Command(BaseCommand):
    help = "Report records whose private file is missing and files with no record."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Delete the orphan files (never records).",
        )
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=60,
            help="Only files older than this can be orphans (default 60).",
        )

    def handle(self, *args, fix, min_age_minutes, **options):
        storage = private_storage()
        referenced = set()
        missing = []
        records = 0
        fields = list(private_file_fields())
        for model, field in fields:
            has_public_id = any(f.name == "public_id" for f in model._meta.fields)
            id_field = "public_id" if has_public_id else "pk"
            rows = (
                model._default_manager.exclude(**{field.name: ""})
                .values_list(id_field, field.name)
                .iterator()
            )
            for row_id, name in rows:
                records += 1
                referenced.add(name)
                # A recording still arriving on S3 is its parts, not yet a file.
                if not storage.exists(name) and not has_parts(name):
                    missing.append((model, row_id, field.name, name))

        orphans = []
        files = 0
        cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        for name, size, modified in sorted(walk(storage=storage)):
            files += 1
            if _owner(name) not in referenced and modified < cutoff:
                orphans.append((name, size))

        temp_dir = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
        stale = [(path.name, path) for path in stale_temporary_uploads(min_age_minutes)]

        self.stdout.write(
            f"Checked {records} records in {len(fields)} file fields and "
            f"{files} files in {_where(storage)}."
        )
        if missing:
            self.stdout.write(f"Records whose file is missing ({len(missing)}):")
            for model, row_id, field_name, name in missing:
                self.stdout.write(f"  {_label(model, row_id)} {field_name}: {name}")
        removed = 0
        for title, found in [
            ("Files with no record", orphans),
            (f"Stale temporary uploads in {temp_dir}", stale),
        ]:
            if found:
                self.stdout.write(f"{title} ({len(found)}):")
                removed += self._remove(found, fix, storage)

        remaining = len(missing) + len(orphans) + len(stale) - removed
        if remaining:
            hint = (
                ""
                if fix or not (orphans or stale)
                else " Run with --fix to remove orphans."
            )
            raise CommandError(f"{remaining} problem(s) found.{hint}", returncode=1)
        self.stdout.write(self.style.SUCCESS("Media and records match."))

    def _remove(self, found, fix, storage):
        """Orphans are (name, size) in the storage; stale uploads (name, path)."""
        removed = 0
        for name, where in found:
            if not fix:
                size = where.stat().st_size if isinstance(where, Path) else where
                self.stdout.write(f"  {name} ({size} bytes)")
                continue
            try:
                if isinstance(where, Path):
                    os.remove(where)
                else:
                    storage.delete(name)
            except OSError as error:
                self.stdout.write(f"  could not remove {name}: {error}")
            else:
                removed += 1
                self.stdout.write(f"  removed {name}")
        return removed
