"""The periodic work of the interviews app, shared by the worker's periodic
tasks (interviews/tasks.py) and the operators' commands. Each is safe when two
workers run it at once: rows are claimed with conditional updates (reminders,
missed interviews, abandoned takes), deletes of what is already gone are
no-ops (recordings, temporary uploads)."""

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from interviews import notifications
from interviews.models import Answer, AnswerState, InterviewRequest, RequestStatus
from interviews.uploads import finish_interview
from portal.db import atomic
from portal.storage import PARTS_PREFIX, is_object_storage, private_storage, walk

REMINDER_WINDOW = timedelta(hours=24)


def send_due_reminders(now=None):
    """Email each student whose scheduled interview starts within 24 hours, once.
    Returns how many reminders this call queued."""
    now = now or timezone.now()
    due = InterviewRequest.objects.filter(
        status=RequestStatus.SCHEDULED,
        reminder_sent_at__isnull=True,
        scheduled_at__gt=now,
        scheduled_at__lte=now + REMINDER_WINDOW,
    ).select_related("student", "course")
    sent = 0
    for interview in due.order_by("scheduled_at"):
        # The claim and the email record commit together: a reminder claimed
        # is a reminder queued, and the queue delivers it once.
        with atomic():
            claimed = InterviewRequest.objects.filter(
                pk=interview.pk,
                status=RequestStatus.SCHEDULED,
                reminder_sent_at__isnull=True,
            ).update(reminder_sent_at=now)
            if claimed:
                notifications.send_reminder(interview)
                sent += 1
    return sent


def close_missed_interviews(now=None):
    """Scheduled interviews whose room has closed: completed if fully answered,
    else missed. Returns (missed, completed)."""
    now = now or timezone.now()
    # No room closes earlier than the grace period after its start.
    grace = timedelta(minutes=settings.INTERVIEW_GRACE_MINUTES)
    candidates = InterviewRequest.objects.filter(
        status=RequestStatus.SCHEDULED, scheduled_at__lt=now - grace
    ).select_related("course", "payment", "student")
    missed = completed = 0
    for interview in candidates.iterator():
        if now < interview.room_closes_at:
            continue
        if finish_interview(interview):
            completed += 1
        elif interview.mark_missed(now):
            missed += 1
    return missed, completed


def purge_expired_recordings(days=None, batch_size=500):
    """Delete the recordings of interviews completed or missed more than `days`
    ago (RECORDING_RETENTION_DAYS). Returns (recordings, interviews)."""
    days = settings.RECORDING_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    # A missed interview has no completion time: its window end is the
    # scheduled start plus at most a day, so the start is a fair stand-in.
    expired = Answer.objects.filter(
        Q(request__status=RequestStatus.COMPLETED, request__completed_at__lt=cutoff)
        | Q(request__status=RequestStatus.MISSED, request__scheduled_at__lt=cutoff)
    )
    deleted, interviews = 0, set()
    while True:
        batch = list(expired.values_list("pk", "request_id")[:batch_size])
        if not batch:
            break
        with atomic():
            # Row by row so post_delete removes each file after the commit.
            for answer in Answer.objects.filter(pk__in=[pk for pk, _ in batch]):
                answer.delete()
        deleted += len(batch)
        interviews.update(request_id for _, request_id in batch)
    return deleted, len(interviews)


def stale_temporary_uploads(min_age_minutes=60):
    """Django's temporary upload files (a worker killed mid-upload leaves them)
    older than `min_age_minutes`."""
    temp_dir = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    cutoff = time.time() - min_age_minutes * 60
    found = []
    for path in sorted(temp_dir.glob("tmp*.upload*")):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                found.append(path)
        except FileNotFoundError:  # removed meanwhile
            continue
    return found


def clean_stale_uploads(min_age_minutes=60):
    """Remove stale temporary uploads, and on S3 the parts no answer is waiting
    for. Returns how many this call removed (parts count once per recording)."""
    removed = 0
    for path in stale_temporary_uploads(min_age_minutes):
        try:
            os.remove(path)
            removed += 1
        except FileNotFoundError:  # another worker got there first
            continue
    storage = private_storage()
    for name in stale_parts(min_age_minutes):
        storage.delete_parts(name)
        removed += 1
    return removed


# ---- Object storage (issue 15) ----


def stale_parts(min_age_minutes=60):
    """On S3: recordings whose chunks are still stored as parts although no
    answer is receiving or waiting for them (a retake or a deleted account whose
    deletion failed, a worker killed between writing the result and deleting
    the parts), untouched for `min_age_minutes`."""
    if not is_object_storage():
        return []
    cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
    newest = {}
    for key, _size, modified in walk(PARTS_PREFIX):
        name = key[len(PARTS_PREFIX) :].rsplit("/", 1)[0]
        newest[name] = max(modified, newest.get(name, modified))
    waiting = set(
        Answer.objects.filter(
            file__in=list(newest),
            state__in=[AnswerState.RECORDING, AnswerState.UPLOADED],
        ).values_list("file", flat=True)
    )
    return sorted(
        name
        for name, modified in newest.items()
        if name not in waiting and modified < cutoff
    )


def clean_abandoned_takes(hours=None, now=None):
    """Remove answers still recording that no chunk has touched for `hours`
    (UNFINISHED_ANSWER_MAX_HOURS): a take the student never submitted, long
    after its room closed. The row goes, and its file after the commit.
    Returns how many this call removed."""
    hours = settings.UNFINISHED_ANSWER_MAX_HOURS if hours is None else hours
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    stale = Answer.objects.filter(state=AnswerState.RECORDING, updated_at__lt=cutoff)
    removed = 0
    for pk in stale.values_list("pk", flat=True).order_by("pk"):
        with atomic():
            # Locked and judged again: a chunk may have arrived meanwhile.
            answer = stale.select_for_update().filter(pk=pk).order_by().first()
            if answer is not None:
                answer.delete()
                removed += 1
    return removed
