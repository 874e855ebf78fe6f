"""A completed interview with real, playable recordings and a course rubric,
for the feedback journeys, the accessibility checks and the screenshots."""

import functools
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from interviews.factories import AnswerFactory, ScheduledRequestFactory
from interviews.models import (
    AnswerComment,
    AnswerScore,
    InterviewRequest,
    ReviewResult,
    RubricCriterion,
)
from interviews.tests.room_helpers import open_interview
from portal.storage import unguessable_name

SECONDS = 8
RUBRIC = [
    ("Content", "Off topic", "Relevant, with concrete examples"),
    ("Structure", "Rambling", "A clear beginning, middle and end"),
    ("Communication", "Hard to follow", "Clear, well paced, easy to follow"),
    ("Confidence", "Hesitant throughout", "Calm and assured"),
]


@functools.cache
def real_webm():
    """An 8-second VP8/Opus WebM with a test picture and a tone, made by ffmpeg."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answer.webm"
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y",
                "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
                "-f", "lavfi", "-i", "sine=frequency=440",
                "-t", str(SECONDS), "-c:v", "libvpx", "-b:v", "200k",
                "-c:a", "libopus", "-shortest", str(path),
            ],
            check=True,
        )  # fmt: skip
        return path.read_bytes()


def completed_with_recordings(student, course=None, questions=2):
    """A completed interview of `student` with a playable answer to each
    question: of a new course with `questions` questions, or of `course`."""
    if course is None:
        interview = open_interview(student, questions=questions)
    else:
        interview = ScheduledRequestFactory(
            student=student, course=course, consent_given_at=timezone.now()
        )
    for question in interview.course.questions.all():
        body = real_webm()
        AnswerFactory(
            request=interview,
            question=question,
            file=ContentFile(body, name=unguessable_name("answers", "webm")),
            size=len(body),
            duration_seconds=float(SECONDS),
        )
    assert interview.complete()
    for order, (name, low, high) in enumerate(RUBRIC, start=1):
        RubricCriterion.objects.get_or_create(
            course=interview.course,
            name=name,
            defaults={"order": order, "guide_1": low, "guide_3": "Adequate",
                      "guide_5": high},
        )  # fmt: skip
    return interview


def published_review(student, reviewer, lift=1, days_ago=0, **kwargs):
    """A completed interview with a published review: scores, comments, steps.
    A higher `lift` gives higher scores (for progress across attempts)."""
    interview = completed_with_recordings(student, **kwargs)
    criteria = list(interview.course.rubric.all())
    for n, answer in enumerate(interview.answers.all()):
        answer.rating = 3 + n % 2
        answer.comment = "A good example; say what you learned from it."
        answer.save()
        for m, criterion in enumerate(criteria):
            AnswerScore.objects.create(
                answer=answer,
                criterion=criterion,
                score=min(5, 1 + (n + m) % 3 + lift),
            )
        AnswerComment.objects.create(
            answer=answer, author=reviewer, at_seconds=2.0, text="Strong opening line."
        )
        AnswerComment.objects.create(
            answer=answer, author=reviewer, at_seconds=5.5, text="Slow down here."
        )
    InterviewRequest.objects.filter(pk=interview.pk).update(
        completed_at=timezone.now() - timedelta(days=days_ago),
        overall_rating=min(5, 2 + lift),
        result=ReviewResult.PASS,
        feedback="Clear, structured answers. You rushed the ending of each one.",
        next_steps="Practise pausing before your conclusion.\nQuantify your impact.",
    )
    interview.publish_review(reviewer)
    return interview
