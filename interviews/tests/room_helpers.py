"""Shared set-up for the interview room tests."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from interviews.factories import InterviewQuestionFactory, ScheduledRequestFactory


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
    folder = Path(settings.MEDIA_ROOT) / "private" / "answers"
    return sorted(p for p in folder.rglob("*") if p.is_file())
