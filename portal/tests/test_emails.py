"""Every email, rendered with hostile input: the text part and the subject carry
it as typed (plain text is not HTML), the HTML part escaped."""

from pathlib import Path

import pytest
from django.conf import settings

from accounts.factories import UserFactory
from accounts.models import PendingSignup
from interviews.factories import ScheduledRequestFactory
from portal.emails import render_email

pytestmark = pytest.mark.django_db

HOSTILE = "\"><script>&'"
ESCAPES = ["&lt;", "&gt;", "&quot;", "&#x27;", "&#39;", "&amp;"]
EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"
NAMES = sorted(
    p.name.removesuffix("_subject.txt") for p in EMAILS.glob("*_subject.txt")
)


@pytest.fixture
def hostile_context():
    student = UserFactory(username=f"u{HOSTILE}", full_name=f"Priya {HOSTILE}")
    interview = ScheduledRequestFactory(
        student=student,
        course__title=f"Python {HOSTILE}",
        rejection_reason=f"Busy {HOSTILE}",
        feedback=f"Good {HOSTILE}",
        message_to_student=f"Hi {HOSTILE}",
    )
    payment = interview.payment
    payment.remarks = f"Blurry {HOSTILE}"
    return {
        "student": student,
        "user": student,
        "signup": PendingSignup(
            username=student.username, full_name=student.full_name, email="p@x.in"
        ),
        "course": interview.course,
        "interview": interview,
        "payment": payment,
        "request_path": "/courses/python/request/",
        "my_interviews_path": "/interviews/",
        "payment_url": f"{settings.SITE_URL}/pay/",
        "dashboard_url": f"{settings.SITE_URL}/",
        "uid": "MQ",
        "token": "set-password",
        "EARLY_MINUTES": 10,
    }


def test_every_email_has_its_three_templates():
    assert len(NAMES) >= 10
    for name in NAMES:
        assert (EMAILS / f"{name}_body.txt").exists(), name
        assert (EMAILS / f"{name}_body.html").exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_text_part_and_subject_are_not_html_escaped(name, hostile_context):
    message = render_email(name, hostile_context, ["priya@example.com"])
    html = message.alternatives[0][0]

    assert HOSTILE in message.body
    if "{{" in (EMAILS / f"{name}_subject.txt").read_text():
        assert HOSTILE in message.subject
    for escape in ESCAPES:
        assert escape not in message.body, (name, escape)
        assert escape not in message.subject, (name, escape)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
