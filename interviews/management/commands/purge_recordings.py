from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from interviews.models import Answer, RequestStatus


class Command(BaseCommand):
    help = (
        "Delete the recordings (rows and files) of interviews completed or missed "
        "more than RECORDING_RETENTION_DAYS ago. Safe to run from cron, and twice."
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
        cutoff = timezone.now() - timedelta(days=days)
        # A missed interview has no completion time: its window end is the
        # scheduled start plus at most a day, so the start is a fair stand-in.
        expired = Answer.objects.filter(
            Q(
                request__status=RequestStatus.COMPLETED,
                request__completed_at__lt=cutoff,
            )
            | Q(
                request__status=RequestStatus.MISSED,
                request__scheduled_at__lt=cutoff,
            )
        )
        deleted, interviews = 0, set()
        while True:
            batch = list(expired.values_list("pk", "request_id")[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                # Row by row so post_delete removes each file after the commit.
                for answer in Answer.objects.filter(pk__in=[pk for pk, _ in batch]):
                    answer.delete()
            deleted += len(batch)
            interviews.update(request_id for _, request_id in batch)
        self.stdout.write(
            f"Deleted {deleted} recording{'s' if deleted != 1 else ''} "
            f"from {len(interviews)} interview{'s' if len(interviews) != 1 else ''} "
            f"older than {days} days."
        )
