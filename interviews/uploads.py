"""The checks a recorded answer passes as it arrives through the room's
resumable upload (interviews/resumable.py), and what follows its submission."""

from interviews import notifications
from interviews.models import RequestStatus
from portal.db import atomic, on_commit

# (content type, extension)
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


def parse_duration(value, question):
    """The duration the browser measured, kept only when plausible."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if not 0 < seconds <= question.max_answer_seconds + 5:
        return None
    return round(seconds, 1)


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
