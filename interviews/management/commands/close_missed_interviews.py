from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from interviews.models import InterviewRequest, RequestStatus


class Command(BaseCommand):
    help = (
        "Mark scheduled interviews whose room has closed with questions "
        "unanswered as missed (no-shows). Safe to run from cron every few minutes."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        # No room closes earlier than the grace period after its start.
        grace = timedelta(minutes=settings.INTERVIEW_GRACE_MINUTES)
        candidates = InterviewRequest.objects.filter(
            status=RequestStatus.SCHEDULED, scheduled_at__lt=now - grace
        ).select_related("course", "payment", "student")
        missed = completed = 0
        for interview in candidates.iterator():
            if now < interview.room_closes_at:
                continue
            if interview.finish():
                completed += 1
            elif interview.mark_missed(now):
                missed += 1
        self.stdout.write(
            f"Marked {missed} interview{'s' if missed != 1 else ''} as missed; "
            f"completed {completed} that were fully answered."
        )
