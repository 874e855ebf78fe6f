"""Shared set-up for the interview room tests."""

import hashlib

from django.conf import settings
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


def stored_answer_files():
    """The recordings held, on disk or in the bucket (one per take in parts)."""
    return stored_names("answers")


def chunk_url(interview, question):
    return reverse(
        "interviews:answer_chunk", args=[interview.public_id, question.public_id]
    )


def post_chunk(
    client,
    interview,
    question,
    data,
    attempt=1,
    offset=0,
    checksum=None,
    content_type="application/octet-stream",
    **extra,
):
    """One slice of a resumable answer, as static/js/room.js sends it."""
    return client.post(
        chunk_url(interview, question),
        data=data,
        content_type=content_type,
        headers={
            "Accept": "application/json",
            "X-Attempt": str(attempt),
            "X-Offset": str(offset),
            "X-Chunk-SHA256": checksum or hashlib.sha256(data).hexdigest(),
        },
        **extra,
    )


def post_finish(client, interview, question, total, attempt=1, duration=None, **extra):
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
        **extra,
    )


def received_bytes(answer):
    """What the server holds of the answer: the file, or while it is still in
    parts on S3, its parts up to what the database says arrived."""
    if is_object_storage() and chunks.has_parts(answer.file.name):
        return b"".join(chunks.read(answer.file.name, 0, answer.bytes_received))
    with answer.file.open("rb") as handle:
        return handle.read()


def send_answer(
    client, interview, question, body, chunk_bytes=None, duration=None, **extra
):
    """A whole recording through the room's protocol, as the room sends it: its
    chunks in order, then the finish. Returns the first response that refused a
    chunk, or the finish's response."""
    chunk_bytes = chunk_bytes or settings.ANSWER_CHUNK_MAX_BYTES
    offset = 0
    for start in range(0, max(len(body), 1), chunk_bytes):
        part = body[start : start + chunk_bytes]
        response = post_chunk(client, interview, question, part, offset=offset, **extra)
        if response.status_code not in (200, 201):
            return response
        offset += len(part)
    return post_finish(client, interview, question, offset, duration=duration, **extra)
