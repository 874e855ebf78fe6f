"""Receiving a recorded answer in one request (for clients that cannot record in
slices, scripts and the benchmark): streamed to disk, judged by its content,
stored privately, and recorded as an Answer only when everything succeeded.
The room's own resumable, chunked upload is in interviews/resumable.py; both
share the checks here."""

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import IntegrityError
from django.http import UnreadablePostError
from django.utils import timezone

from interviews import notifications
from interviews.models import Answer, AnswerState, RequestStatus
from portal.db import atomic, on_commit
from portal.storage import private_storage, unguessable_name

CHUNK_SIZE = 64 * 1024

# (magic test, content type, extension)
WEBM = ("video/webm", "webm")
MP4 = ("video/mp4", "mp4")


class UploadRefused(Exception):
    """The answer or chunk cannot be accepted. `status` is the HTTP status to
    answer with, `code` a word the room's script acts on, and `extra` more JSON
    for it (such as the server's offset)."""

    def __init__(self, message, status=400, code="refused", **extra):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.extra = extra

    def as_json(self):
        return {"error": self.message, "code": self.code, **self.extra}


def sniff_video(head):
    """WebM/Matroska starts with the EBML magic 1A 45 DF A3; MP4 has `ftyp` at
    offset 4. Anything else is refused, whatever its name or Content-Type says."""
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM
    if head[4:8] == b"ftyp":
        return MP4
    return None


def check_can_answer(interview, question, now=None):
    """Raise UploadRefused unless `question` may be answered now in `interview`."""
    if interview.status == RequestStatus.COMPLETED:
        raise UploadRefused(
            "This interview is already completed.", status=409, code="completed"
        )
    if interview.status != RequestStatus.SCHEDULED:
        raise UploadRefused(
            "This interview is not open for answers.", status=409, code="not_open"
        )
    if not interview.room_is_open(now):
        raise UploadRefused(
            "The interview room is closed: answers are accepted only during "
            "the interview window.",
            status=403,
            code="closed",
        )
    if interview.consent_given_at is None:
        raise UploadRefused(
            "Please accept the recording consent before answering.",
            status=403,
            code="consent",
        )
    if question.course_id != interview.course_id:
        raise UploadRefused(
            "This question is not part of your interview.", 404, code="not_found"
        )


def check_unanswered(interview, question):
    if Answer.objects.filter(request=interview, question=question).exists():
        raise UploadRefused("This question has already been answered.", status=409)


def _max_megabytes(max_bytes):
    return f"{max_bytes / (1024 * 1024):.0f} MB"


def receive_recording(request, max_bytes=None):
    """Stream the raw request body into a temporary file on disk, in chunks, so
    memory stays flat whatever the size. Returns a TemporaryUploadedFile (deleted
    on close) with `content_type` set from the sniffed magic bytes."""
    max_bytes = max_bytes or settings.ANSWER_MAX_BYTES
    try:
        expected = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        expected = 0
    if expected <= 0:
        raise UploadRefused("The recording is empty.", status=400)
    if expected > max_bytes:
        raise UploadRefused(
            f"The recording is too large: the limit is {_max_megabytes(max_bytes)}.",
            status=413,
        )
    upload = TemporaryUploadedFile("answer", "application/octet-stream", 0, None)
    try:
        received = 0
        for chunk in _chunks(request):
            received += len(chunk)
            if received > max_bytes:
                raise UploadRefused(
                    "The recording is too large: the limit is "
                    f"{_max_megabytes(max_bytes)}.",
                    status=413,
                )
            upload.write(chunk)
        if received < expected:
            raise UploadRefused(
                "The upload was interrupted. Please try again.", status=400
            )
        upload.flush()
        upload.seek(0)
        kind = sniff_video(upload.read(12))
        if kind is None:
            raise UploadRefused(
                "This is not a video recording (WebM or MP4 expected).", status=415
            )
        upload.content_type, upload.extension = kind
        upload.size = received
        upload.seek(0)
        return upload
    except BaseException:
        upload.close()  # removes the temporary file
        raise


def _chunks(request):
    try:
        yield from iter(lambda: request.read(CHUNK_SIZE), b"")
    except UnreadablePostError:  # the client went away mid-upload
        raise UploadRefused(
            "The upload was interrupted. Please try again.", status=400
        ) from None


def parse_duration(value, question):
    """The duration the browser measured, kept only when plausible."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if not 0 < seconds <= question.max_answer_seconds + 5:
        return None
    return round(seconds, 1)


def store_answer(interview, question, upload, duration_seconds=None):
    """Move the received file into private storage and create its Answer row.
    If the row cannot be created (a concurrent duplicate), the file goes too."""
    storage = private_storage()
    try:
        name = storage.save(unguessable_name("answers", upload.extension), upload)
    finally:
        upload.close()
    try:
        with atomic():
            answer = Answer.objects.create(
                request=interview,
                question=question,
                file=name,
                content_type=upload.content_type,
                size=upload.size,
                duration_seconds=duration_seconds,
                state=AnswerState.UPLOADED,
                bytes_received=upload.size,
                created_at=timezone.now(),
            )
            answer_submitted(answer)
            return answer
    except IntegrityError:
        storage.delete(name)
        raise UploadRefused(
            "This question has already been answered.", status=409
        ) from None
    except BaseException:
        storage.delete(name)
        raise


def finish_interview(interview):
    """Complete the interview if every question is answered, and tell the
    approvers once (only the call that made the change sends the email)."""
    with atomic():
        if not interview.finish():
            return False
        notifications.send_completed(interview)
    return True


def answer_submitted(answer):
    """Once the submitted answer is committed, remux it and read its duration."""
    from interviews.tasks import process_answer

    on_commit(lambda: process_answer(answer.pk))
