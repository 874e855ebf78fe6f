"""Shared set-up for the interview room tests."""

from django.urls import reverse
from django.utils import timezone

from interviews import chunks
from interviews.factories import InterviewQuestionFactory, ScheduledRequestFactory
from portal.storage import is_object_storage
from portal.tests.files import stored_names


def open_interview(student, questions=2, consent=True, **kwargs):
    """A scheduled interview of `student` whose room is open now."""
    interview = ScheduledRequestFactory(
        student=student,
        consent_given_at=timezone.now() if consent else None,
        **kwargs,
    )
    for position in range(1, questions + 1):
        InterviewQuestionFactory(course=interview.course, order=position)
    return interview


def upload_url(interview, question):
    return reverse(
        "interviews:upload_answer", args=[interview.public_id, question.public_id]
    )


def post_video(client, interview, question, body, content_type="video/webm", **extra):
    return client.post(
        upload_url(interview, question),
        data=body,
        content_type=content_type,
        headers={"Accept": "application/json"},
        **extra,
    )


def stored_answer_files():
    """The recordings held, on disk or in the bucket (one per take in parts)."""
    return stored_names("answers")


def post_chunk(client, interview, question, data, attempt=1, offset=0, checksum=None):
    """One slice of a resumable answer, as static/js/room.js sends it."""
    import hashlib

    return client.post(
        reverse(
            "interviews:answer_chunk", args=[interview.public_id, question.public_id]
        ),
        data=data,
        content_type="application/octet-stream",
        headers={
            "Accept": "application/json",
            "X-Attempt": str(attempt),
            "X-Offset": str(offset),
            "X-Chunk-SHA256": checksum or hashlib.sha256(data).hexdigest(),
        },
    )


def post_finish(client, interview, question, total, attempt=1, duration=None):
    headers = {
        "Accept": "application/json",
        "X-Attempt": str(attempt),
        "X-Total-Bytes": str(total),
    }
    if duration is not None:
        headers["X-Duration"] = str(duration)
    return client.post(
        reverse(
            "interviews:finish_answer", args=[interview.public_id, question.public_id]
        ),
        headers=headers,
    )


def received_bytes(answer):
    """What the server holds of the answer: the file, or while it is still in
    parts on S3, its parts up to what the database says arrived."""
    if is_object_storage() and chunks.has_parts(answer.file.name):
        return b"".join(chunks.read(answer.file.name, 0, answer.bytes_received))
    with answer.file.open("rb") as handle:
        return handle.read()
