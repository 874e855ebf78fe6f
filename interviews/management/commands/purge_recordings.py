from django.conf import settings
from django.core.management.base import BaseCommand

from interviews.housekeeping import purge_expired_recordings


class Command(BaseCommand):
    help = (
        "Delete the recordings (rows and files) of interviews completed or missed "
        "more than RECORDING_RETENTION_DAYS ago. The worker runs this daily; "
        "safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.RECORDING_RETENTION_DAYS,
            help="Keep recordings this many days (default: the setting).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows deleted per batch."
        )

    def handle(self, *args, days, batch_size, **options):
        deleted, interviews = purge_expired_recordings(days, batch_size)
        self.stdout.write(
            f"Deleted {deleted} recording{'s' if deleted != 1 else ''} "
            f"from {interviews} interview{'s' if interviews != 1 else ''} "
            f"older than {days} days."
        )
