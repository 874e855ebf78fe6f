"""The interviews app's background work: the periodic tasks that cron used to
run (their logic is in interviews/housekeeping.py, shared with the management
commands), and fixing each recorded answer after upload."""

import logging
import tempfile
from pathlib import Path

from django.core.files import File
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from interviews import chunks, housekeeping, media, transcripts
from interviews.models import Answer, AnswerState
from portal.db import atomic, on_commit
from portal.storage import private_storage, unguessable_name

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def send_reminders():
    sent = housekeeping.send_due_reminders()
    if sent:
        logger.info("queued %d interview reminder(s)", sent)
    return sent


@db_periodic_task(crontab(minute="*/5"))
def close_missed_interviews():
    missed, completed = housekeeping.close_missed_interviews()
    if missed or completed:
        logger.info("closed interviews: %d missed, %d completed", missed, completed)
    return missed, completed


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_recordings():
    deleted, interviews = housekeeping.purge_expired_recordings()
    if deleted:
        logger.info("purged %d recording(s) of %d interview(s)", deleted, interviews)
    return deleted


@db_periodic_task(crontab(minute="23"))
def clean_stale_uploads():
    removed = housekeeping.clean_stale_uploads()
    if removed:
        logger.info("removed %d stale temporary upload(s)", removed)
    takes = housekeeping.clean_abandoned_takes()
    if takes:
        logger.info("removed %d answer(s) left unfinished", takes)
    return removed + takes


@db_task()
def process_answer(answer_id):
    """Remux a submitted answer, read its real duration and make its poster."""
    answer = Answer.objects.filter(pk=answer_id, state=AnswerState.UPLOADED).first()
    if answer is not None:
        fix_recording(answer)


@db_task()
def transcribe_answer(answer_id):
    """The processed answer's transcript (interviews/transcripts.py); a failure
    is stored on the transcript, not raised: there is nothing to retry."""
    answer = Answer.objects.filter(pk=answer_id, state=AnswerState.PROCESSED).first()
    if answer is not None:
        transcripts.make_transcript(answer)


def fix_recording(answer):
    """Replace the answer's file by a seekable copy with a duration and a poster;
    mark it FAILED (for the approver to see) when ffprobe cannot read it.
    Returns the new state."""
    storage = private_storage()
    extension = "mp4" if answer.content_type == "video/mp4" else "webm"
    with tempfile.TemporaryDirectory(prefix="answer-") as folder:
        original = Path(folder) / f"original.{extension}"
        fixed = Path(folder) / f"fixed.{extension}"
        still = Path(folder) / "poster.jpg"
        # In a bucket the chunks are still separate objects: this puts them
        # together (interviews/chunks.py).
        with open(original, "wb") as out:
            chunks.copy_received(answer.file.name, answer.bytes_received, out)
        try:
            media.probe(original)
            media.remux(original, fixed, answer.content_type)
            seconds = media.duration_of(media.probe(fixed))
        except media.MediaError as exc:
            # The approver can still download what arrived.
            chunks.seal(answer.file.name, original)
            return _mark_failed(answer, str(exc))
        try:
            media.poster(fixed, still, min(1.0, (seconds or 0) / 2))
        except media.MediaError:
            still = None  # a recording without a poster is still watchable
        new_name = _save(storage, fixed, extension)
        poster_name = _save(storage, still, "jpg") if still and still.exists() else ""
    won = _replace(answer, new_name, poster_name, seconds)
    if not won:  # deleted or changed meanwhile: keep nothing of ours
        storage.delete(new_name)
        if poster_name:
            storage.delete(poster_name)
        return None
    return AnswerState.PROCESSED


def _save(storage, path, extension):
    with open(path, "rb") as handle:
        return storage.save(unguessable_name("answers", extension), File(handle))


def _replace(answer, new_name, poster_name, seconds):
    storage = private_storage()
    old_name, old_poster = answer.file.name, answer.poster.name
    fields = {
        "file": new_name,
        "poster": poster_name,
        "size": storage.size(new_name),
        "state": AnswerState.PROCESSED,
        "processing_error": "",
    }
    if seconds:
        fields["duration_seconds"] = round(seconds, 1)
    with atomic():
        won = Answer.objects.filter(
            pk=answer.pk, state=AnswerState.UPLOADED, file=old_name
        ).update(**fields)
        if won:
            on_commit(lambda: storage.delete(old_name))
            if old_poster:
                on_commit(lambda: storage.delete(old_poster))
            on_commit(lambda: transcribe_answer(answer.pk))
    return bool(won)


def _mark_failed(answer, error):
    Answer.objects.filter(pk=answer.pk, state=AnswerState.UPLOADED).update(
        state=AnswerState.FAILED, processing_error=error[:300]
    )
    return AnswerState.FAILED
