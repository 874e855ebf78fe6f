"""Email each student whose scheduled interview starts within the next 24 hours,
once. Safe from cron every few minutes, and when two runs overlap: each
reminder is claimed by a conditional update before it is sent."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from interviews import notifications
from interviews.models import InterviewRequest, RequestStatus

REMINDER_WINDOW = timedelta(hours=24)


def send_due_reminders(now=None):
    """Returns how many reminders this call sent."""
    now = now or timezone.now()
    due = InterviewRequest.objects.filter(
        status=RequestStatus.SCHEDULED,
        reminder_sent_at__isnull=True,
        scheduled_at__gt=now,
        scheduled_at__lte=now + REMINDER_WINDOW,
    ).select_related("student", "course")
    sent = 0
    for interview in due.order_by("scheduled_at"):
        claimed = InterviewRequest.objects.filter(
            pk=interview.pk,
            status=RequestStatus.SCHEDULED,
            reminder_sent_at__isnull=True,
        ).update(reminder_sent_at=now)
        if claimed:
            # At most once: a send that fails after the claim is logged by
            # portal.emails and not retried (a second reminder is worse).
            notifications.send_reminder(interview)
            sent += 1
    return sent


class Command(BaseCommand):
    help = "Email students whose interview starts within 24 hours (once each)."

    def handle(self, *args, **options):
        sent = send_due_reminders()
        self.stdout.write(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
