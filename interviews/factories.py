from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from interviews.models import (
    Answer,
    InterviewCourse,
    InterviewQuestion,
    InterviewRequest,
    RequestStatus,
)
from portal.storage import unguessable_name


class InterviewCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewCourse
        django_get_or_create = ["slug"]

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    description = "Practise the questions employers ask."
    fee = Decimal("200.00")
    duration_minutes = 30
    is_active = True


class InterviewQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewQuestion

    course = factory.SubFactory(InterviewCourseFactory)
    text = factory.Sequence(lambda n: f"Question {n}: tell us about yourself.")
    order = factory.Sequence(lambda n: n + 1)
    preparation_seconds = 5
    max_answer_seconds = 30


# ---- The interview room (issue 5) ----

WEBM_MAGIC = b"\x1a\x45\xdf\xa3"


def webm_bytes(size=2048):
    """A stand-in WebM recording: the EBML magic bytes, then filler. The server
    judges recordings by their magic bytes only."""
    return WEBM_MAGIC + b"\x9f\x42\x86\x81\x01" + b"\x00" * max(size - 9, 0)


def mp4_bytes(size=2048):
    """A stand-in MP4 recording: a box length, then `ftyp` at offset 4."""
    return b"\x00\x00\x00\x18ftypisom" + b"\x00" * max(size - 12, 0)


class ScheduledRequestFactory(factory.django.DjangoModelFactory):
    """A scheduled interview whose room is open now (it started a minute ago)."""

    class Meta:
        model = InterviewRequest

    payment = factory.SubFactory(
        "payments.factories.CompletedPaymentFactory",
        course=factory.SelfAttribute("..course"),
        student=factory.SelfAttribute("..student"),
    )
    student = factory.SubFactory("accounts.factories.UserFactory")
    course = factory.SubFactory(InterviewCourseFactory)
    preferred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    scheduled_at = factory.LazyAttribute(lambda r: r.preferred_at)
    decided_at = factory.LazyFunction(timezone.now)
    status = RequestStatus.SCHEDULED


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    class Params:
        video_bytes = factory.LazyFunction(webm_bytes)

    request = factory.SubFactory(ScheduledRequestFactory)
    question = factory.SubFactory(
        InterviewQuestionFactory, course=factory.SelfAttribute("..request.course")
    )
    file = factory.LazyAttribute(
        lambda a: ContentFile(a.video_bytes, name=unguessable_name("answers", "webm"))
    )
    content_type = "video/webm"
    size = factory.LazyAttribute(lambda a: len(a.video_bytes))
    duration_seconds = 12.5


# ---- Scheduling (issue 4) ----


def _two_days_ahead_at_ten():
    """10:00 in the site's time zone, two days from now: always bookable."""
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    return (local + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )


class InterviewRequestFactory(factory.django.DjangoModelFactory):
    """A pending request paid by a completed payment of the same student."""

    class Meta:
        model = InterviewRequest

    student = factory.SubFactory("accounts.factories.UserFactory")
    course = factory.SubFactory(InterviewCourseFactory)
    payment = factory.SubFactory(
        "payments.factories.CompletedPaymentFactory",
        course=factory.SelfAttribute("..course"),
        student=factory.SelfAttribute("..student"),
    )
    preferred_at = factory.LazyFunction(_two_days_ahead_at_ten)
    notes = ""
    status = RequestStatus.PENDING
