"""Email delivery tasks (portal/emails.py holds the logic)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from portal import emails

logger = logging.getLogger(__name__)


@db_task()
def deliver_email(email_id):
    # Backoff by re-scheduling: huey's own retries wait a fixed delay.
    delay = emails.deliver(email_id)
    if delay is not None:
        deliver_email.schedule((email_id,), delay=delay)


@db_periodic_task(crontab(minute="*"))
def resend_stuck_emails():
    """Enqueue the emails no task is working on: claimed by a worker that was
    killed, or never enqueued (the queue was down) or whose retry was lost.
    Each row is claimed with a conditional update, so two workers running this
    at once enqueue it once."""
    from accounts.models import EmailStatus, SentEmail

    now = timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_STUCK_AFTER_SECONDS)
    found = 0
    rows = SentEmail.objects.filter(
        Q(status=EmailStatus.SENDING, claimed_at__lt=stale)
        | Q(status=EmailStatus.PENDING, next_attempt_at__lt=stale)
        | Q(status=EmailStatus.PENDING, next_attempt_at__isnull=True)
    ).values_list("pk", "status", "claimed_at", "next_attempt_at")
    for pk, status, claimed_at, next_attempt_at in rows:
        if status == EmailStatus.SENDING:
            won = SentEmail.objects.filter(
                pk=pk, status=status, claimed_at=claimed_at
            ).update(status=EmailStatus.PENDING, claimed_at=None, next_attempt_at=now)
        else:
            won = SentEmail.objects.filter(
                pk=pk, status=status, next_attempt_at=next_attempt_at
            ).update(next_attempt_at=now)
        if won:
            found += 1
            deliver_email(pk)
    if found:
        logger.warning("resent %d stuck email(s)", found)
    return found
