"""One student with a course in every state, so that every student page exists.

Used by the accessibility checks and by the screenshots."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.factories import UserFactory
from accounts.roles import make_approver
from interviews.demo import DEMO_COURSES
from interviews.factories import (
    AnswerFactory,
    InterviewCourseFactory,
    InterviewQuestionFactory,
    InterviewRequestFactory,
    ScheduledRequestFactory,
)
from interviews.models import RequestStatus
from payments.factories import CompletedPaymentFactory, PaymentFactory
from payments.models import PaymentStatus

QUESTIONS = [
    "Tell us about yourself and why you chose this career.",
    "Walk us through the most challenging project you have built.",
    "Describe a time you disagreed with a teammate. How did you resolve it?",
]


@dataclass
class World:
    student: object
    approver: object
    courses: dict = field(default_factory=dict)
    payments: dict = field(default_factory=dict)
    interviews: dict = field(default_factory=dict)


DEMO = {spec["slug"]: spec for spec in DEMO_COURSES}
DESCRIPTIONS = {
    "ux-designer": "Portfolio walk-throughs, design critique and research "
    "questions for junior product designers.",
    "cloud-engineer": "Networking, reliability and cost questions for entry-level "
    "cloud and DevOps roles.",
    "sales": "Pitching, objection handling and targets, as asked for field "
    "and inside sales roles.",
    "teaching": "Classroom management, lesson planning and parent communication "
    "for school teaching posts.",
    "civil-services": "A personality-test style panel: current affairs, your "
    "background and situational questions.",
}


def _course(order, slug, title):
    demo = DEMO.get(slug, {})
    course = InterviewCourseFactory(
        slug=slug,
        title=title,
        display_order=order,
        duration_minutes=demo.get("duration_minutes", 30),
        fee=Decimal("200.00"),
        description=demo.get("description") or DESCRIPTIONS[slug],
    )
    for position, text in enumerate(demo.get("questions", QUESTIONS), start=1):
        InterviewQuestionFactory(
            course=course,
            text=text,
            order=position,
            preparation_seconds=0,
            max_answer_seconds=60,
        )
    return course


def build_world():
    student = UserFactory(
        username="sam", full_name="Sam Kumar", email="sam@example.com"
    )
    approver = make_approver(
        UserFactory(username="asha", full_name="Asha Admin", email="asha@example.com")
    )
    world = World(student=student, approver=approver)
    now = timezone.now()
    specs = [
        ("ux-designer", "UX Designer"),
        ("software-engineer-fresher", "Software Engineer (Fresher)"),
        ("data-analyst", "Data Analyst"),
        ("hr-round", "HR Round"),
        ("product-manager", "Product Manager (Associate)"),
        ("bank-po", "Bank PO Interview"),
        ("cloud-engineer", "Cloud Engineer"),
        ("sales", "Sales Executive"),
        ("teaching", "School Teacher"),
        ("civil-services", "Civil Services Mock"),
    ]
    for order, (slug, title) in enumerate(specs, start=1):
        world.courses[slug] = _course(order, slug, title)
    c = world.courses

    # ux-designer is not paid: "Not booked yet".
    # Paid, waiting for an approver.
    world.payments["pending"] = PaymentFactory(
        student=student, course=c["data-analyst"], utr="412345678901"
    )
    # Paid, rejected with remarks.
    world.payments["rejected"] = PaymentFactory(
        student=student,
        course=c["hr-round"],
        status=PaymentStatus.REJECTED,
        remarks="The amount in the screenshot is ₹20, not ₹200.",
        reviewed_by=approver,
        reviewed_at=now,
    )
    # Paid and verified: "Ready to schedule".
    world.payments["completed"] = CompletedPaymentFactory(
        student=student, course=c["product-manager"], reviewed_by=approver
    )
    # A pending request, and one rejected with a reason.
    world.interviews["pending"] = InterviewRequestFactory(
        student=student, course=c["bank-po"], notes="Mornings suit me best."
    )
    rejected = InterviewRequestFactory(student=student, course=c["sales"])
    rejected.reject(approver, "No reviewer is free that day; please pick another.")
    world.interviews["rejected"] = rejected
    # Scheduled tomorrow (room not open yet) and scheduled now (room open).
    tomorrow = now + timedelta(days=1)
    world.interviews["tomorrow"] = ScheduledRequestFactory(
        student=student,
        course=c["cloud-engineer"],
        preferred_at=tomorrow,
        scheduled_at=tomorrow,
    )
    world.interviews["open"] = ScheduledRequestFactory(
        student=student,
        course=c["software-engineer-fresher"],
        preferred_at=now + timedelta(minutes=2),
        scheduled_at=now + timedelta(minutes=2),
    )
    # Completed with answers (awaiting review) and missed.
    done = ScheduledRequestFactory(
        student=student,
        course=c["teaching"],
        preferred_at=now - timedelta(minutes=20),
        scheduled_at=now - timedelta(minutes=20),
        consent_given_at=now - timedelta(minutes=19),
    )
    for question in c["teaching"].questions.all():
        AnswerFactory(request=done, question=question, duration_seconds=42.0)
    done.complete()
    world.interviews["completed"] = done
    missed_at = now - timedelta(hours=3)
    missed = ScheduledRequestFactory(
        student=student,
        course=c["civil-services"],
        preferred_at=missed_at,
        scheduled_at=missed_at,
    )
    missed.mark_missed(now)
    world.interviews["missed"] = missed
    assert missed.status == RequestStatus.MISSED
    assert done.status == RequestStatus.COMPLETED
    return world
