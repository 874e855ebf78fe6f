"""The room's resumable upload: an answer arrives in slices while it is recorded.

A small protocol of our own (not tus: no client library to vendor, it fits the
session and CSRF checks of every other view, and its numbered parts map onto S3
multipart later). Each chunk is a POST of raw bytes with three headers:

- `X-Attempt`: the take (1 for the first, 2 for the first retake, ...);
- `X-Offset`: where the chunk starts in the take's file;
- `X-Chunk-SHA256`: the hex SHA-256 of the chunk.

The server appends a chunk only at the offset it already holds, acknowledges a
resent chunk it already has (same bytes) without appending it again, and
answers every refusal with JSON carrying a `code` and, where it helps, its
`offset`. The first chunk of a take creates or resets the Answer row; the take
ends with an explicit finish that checks the client's total against the
server's. Retakes are counted here, so a reload cannot reset them.
"""

import hashlib

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.http import UnreadablePostError
from django.utils import timezone

from interviews import chunks
from interviews.models import Answer, AnswerState, RequestStatus
from interviews.uploads import (
    UploadRefused,
    answer_submitted,
    check_can_answer,
    sniff_video,
)
from portal.db import atomic, on_commit


def takes_allowed():
    return 1 + settings.INTERVIEW_RETAKES


def parse_chunk_headers(headers):
    """(attempt, offset, checksum) from a chunk request's headers."""
    try:
        attempt = int(headers.get("X-Attempt", ""))
        offset = int(headers.get("X-Offset", ""))
    except ValueError:
        raise UploadRefused(
            "A chunk needs its X-Attempt and X-Offset headers.", code="bad_request"
        ) from None
    checksum = (headers.get("X-Chunk-SHA256") or "").strip().lower()
    if attempt < 1 or offset < 0 or len(checksum) != 64:
        raise UploadRefused(
            "A chunk needs its attempt, offset and SHA-256 checksum.",
            code="bad_request",
        )
    return attempt, offset, checksum


def read_chunk(request):
    """The chunk's bytes, never more than ANSWER_CHUNK_MAX_BYTES in memory."""
    limit = settings.ANSWER_CHUNK_MAX_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise _too_large_chunk(limit)
    try:
        data = request.read(limit + 1)
    except UnreadablePostError:  # the client went away mid-chunk
        raise _interrupted() from None
    if len(data) > limit:
        raise _too_large_chunk(limit)
    if not data:
        raise UploadRefused("The chunk is empty.", code="empty")
    if len(data) < declared:
        raise _interrupted()
    return data


def _interrupted():
    return UploadRefused(
        "The chunk was cut short on the way. Send it again.", code="interrupted"
    )


def _too_large_chunk(limit):
    return UploadRefused(
        f"A chunk may be at most {limit} bytes.", status=413, code="chunk_too_large"
    )


def receive_chunk(interview, question, attempt, offset, checksum, data, now=None):
    """Store one chunk. Returns (answer, duplicate): `duplicate` is True for a
    chunk the server already had, acknowledged without being stored again."""
    check_can_answer(interview, question, now)
    if hashlib.sha256(data).hexdigest() != checksum:
        raise UploadRefused(
            "The chunk was damaged on the way (its checksum does not match). "
            "Send it again.",
            code="bad_checksum",
        )
    now = now or timezone.now()
    with atomic():
        answer = (
            # No ordering: Meta.ordering would join (and lock) the question.
            Answer.objects.select_for_update()
            .filter(request=interview, question=question)
            .order_by("pk")
            .first()
        )
        if answer is None or attempt == answer.attempt + 1:
            answer = _start_take(interview, question, answer, attempt, offset, data)
            return answer, False
        if attempt != answer.attempt:
            raise _foreign_attempt(answer)
        if answer.state != AnswerState.RECORDING:
            raise _already_submitted(answer)
        if offset < answer.bytes_received:
            return answer, _is_resent(answer, offset, checksum, len(data))
        if offset > answer.bytes_received:
            raise _gap(answer)
        if answer.bytes_received + len(data) > settings.ANSWER_MAX_BYTES:
            raise _too_large_answer(answer)
        chunks.write(answer.file.name, offset, data)
        # Conditional on the offset read above: the row lock is all that makes
        # that read current on PostgreSQL, and MongoDB has none (issue 18).
        if not Answer.objects.filter(
            pk=answer.pk, bytes_received=answer.bytes_received
        ).update(bytes_received=F("bytes_received") + len(data), updated_at=now):
            raise UploadRefused(
                "Another upload of this answer is under way; try again.",
                status=409,
                code="busy",
            )
        answer.bytes_received += len(data)
        return answer, False


def _start_take(interview, question, answer, attempt, offset, data):
    """The first chunk of a take: create the row, or reset it for a retake."""
    if answer is None and attempt != 1:
        raise UploadRefused(
            "This take is not known to the server.", status=409, code="foreign_attempt"
        )
    if answer is not None:
        if answer.state != AnswerState.RECORDING:
            raise _already_submitted(answer)
        if attempt > takes_allowed():
            raise UploadRefused(
                "You have no retakes left for this question.",
                status=409,
                code="no_retakes",
                attempt=answer.attempt,
                offset=answer.bytes_received,
            )
    if offset != 0:
        raise UploadRefused(
            "A new take starts at offset 0.", status=409, code="gap", offset=0
        )
    kind = sniff_video(data[:12])
    if kind is None:
        raise UploadRefused(
            "This is not a video recording (WebM or MP4 expected).",
            status=415,
            code="not_video",
        )
    content_type, extension = kind
    name = chunks.new_name(extension)
    chunks.write(name, 0, data)
    fields = {
        "file": name,
        "content_type": content_type,
        "attempt": attempt,
        "state": AnswerState.RECORDING,
        "bytes_received": len(data),
        "size": 0,
        "duration_seconds": None,
        "updated_at": timezone.now(),
    }
    try:
        with atomic():
            if answer is None:
                answer = Answer.objects.create(
                    request=interview, question=question, **fields
                )
            else:
                previous = answer.file.name
                Answer.objects.filter(pk=answer.pk).update(**fields)
                on_commit(lambda: chunks.delete(previous))
                answer.refresh_from_db()
    except IntegrityError:
        chunks.delete(name)
        raise UploadRefused(
            "Another upload of this answer is under way; try again.",
            status=409,
            code="busy",
        ) from None
    except BaseException:
        chunks.delete(name)
        raise
    return answer


def _is_resent(answer, offset, checksum, size):
    if (
        offset + size <= answer.bytes_received
        and chunks.digest(answer.file.name, offset, size) == checksum
    ):
        return True
    raise UploadRefused(
        "This chunk differs from what the server already holds at that offset.",
        status=409,
        code="conflict",
        offset=answer.bytes_received,
    )


def _gap(answer):
    return UploadRefused(
        "A chunk is missing before this one: send from the server's offset.",
        status=409,
        code="gap",
        offset=answer.bytes_received,
    )


def _foreign_attempt(answer):
    return UploadRefused(
        "This take is not the one the server is recording (it was replaced by a "
        "retake, or never started).",
        status=409,
        code="foreign_attempt",
        attempt=answer.attempt,
    )


def _already_submitted(answer):
    return UploadRefused(
        "This answer has already been submitted.",
        status=409,
        code="already_submitted",
        attempt=answer.attempt,
        state=answer.state,
    )


def _too_large_answer(answer):
    megabytes = settings.ANSWER_MAX_BYTES / (1024 * 1024)
    return UploadRefused(
        f"The recording is too large: the limit is {megabytes:.0f} MB.",
        status=413,
        code="answer_too_large",
        offset=answer.bytes_received,
    )


def finish_take(interview, question, attempt, total, duration_seconds=None):
    """The student submits the take: every byte must have arrived. The answer
    is then UPLOADED and its processing is queued; returns the answer.

    Allowed after the window too (while the interview is still scheduled or
    marked missed): no new bytes arrive, the take recorded in time is kept."""
    if interview.status not in (RequestStatus.SCHEDULED, RequestStatus.MISSED):
        check_can_answer(interview, question)  # the right refusal, e.g. completed
    if question.course_id != interview.course_id:
        raise UploadRefused("This question is not part of your interview.", 404)
    with atomic():
        answer = (
            # No ordering: Meta.ordering would join (and lock) the question.
            Answer.objects.select_for_update()
            .filter(request=interview, question=question)
            .order_by("pk")
            .first()
        )
        if answer is None:
            raise UploadRefused(
                "Nothing was received for this answer.",
                status=409,
                code="gap",
                offset=0,
            )
        if attempt != answer.attempt:
            raise _foreign_attempt(answer)
        if answer.state != AnswerState.RECORDING:
            raise _already_submitted(answer)
        if total != answer.bytes_received:
            raise UploadRefused(
                "Part of the answer has not arrived yet: send from the server's "
                "offset, then submit again.",
                status=409,
                code="incomplete",
                offset=answer.bytes_received,
            )
        Answer.objects.filter(pk=answer.pk).update(
            state=AnswerState.UPLOADED,
            size=answer.bytes_received,
            duration_seconds=duration_seconds,
            updated_at=timezone.now(),
        )
        answer.refresh_from_db()
        answer_submitted(answer)
    return answer


def question_states(interview):
    """What the room needs to resume each question: {question_id: dict}."""
    states = {}
    for answer in Answer.objects.filter(request=interview).only(
        "question_id", "public_id", "attempt", "state", "bytes_received"
    ):
        states[answer.question_id] = {
            "answer": str(answer.public_id),
            "attempt": answer.attempt,
            "state": answer.state,
            "bytes_received": answer.bytes_received,
            "answered": answer.state != AnswerState.RECORDING,
            "retakes_left": max(takes_allowed() - answer.attempt, 0),
        }
    return states


def no_answer_state():
    return {
        "answer": None,
        "attempt": 0,
        "state": None,
        "bytes_received": 0,
        "answered": False,
        "retakes_left": settings.INTERVIEW_RETAKES,
    }
