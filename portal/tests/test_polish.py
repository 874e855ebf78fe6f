"""What a newcomer tripped over (issue 16, items 10 and 11): one name per state,
one way of writing dates, the console's favicon and decision buttons."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats

from interviews.factories import InterviewRequestFactory
from interviews.models import RequestStatus
from interviews.tests.test_workbench import completed  # noqa: F401 (fixture)
from payments.factories import CompletedPaymentFactory, PaymentFactory
from portal.dates import site_date, site_time

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Tuesday 1 January 2030, 14:30 in Asia/Kolkata.
MOMENT = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


# ---- one name per state ----------------------------------------------------


def test_my_interviews_names_a_verified_payment_as_the_card_does(
    student_client, student
):
    CompletedPaymentFactory(student=student)
    body = student_client.get(reverse("interviews:my_interviews")).content.decode()
    assert "Ready to schedule" in body
    assert "Completed" not in body


def test_the_room_of_a_pending_request_uses_the_cards_words(student_client, student):
    interview = InterviewRequestFactory(student=student, status=RequestStatus.PENDING)
    body = student_client.get(
        reverse("interviews:room", args=[interview.public_id])
    ).content.decode()
    assert "Its status is: <strong>Schedule request pending</strong>" in body


def test_a_used_payment_is_not_offered_for_a_new_request(student_client, student):
    payment = CompletedPaymentFactory(student=student, consumed_at=MOMENT)
    body = student_client.get(
        reverse("payments:payment", args=[payment.public_id])
    ).content.decode()
    assert ">Used</span>" in body
    assert "paid for an interview that is done" in body


def test_the_dashboard_has_no_fee_badge_above_the_pay_button(student_client):
    from interviews.factories import InterviewCourseFactory

    InterviewCourseFactory()
    body = student_client.get(reverse("dashboard")).content.decode()
    badges = re.findall(r'<p class="card-badge"><span[^>]*>([^<]*)</span>', body)
    assert badges == ["Not booked yet"]


def test_the_sign_up_rules_are_the_password_fields_description(client):
    body = client.get(reverse("accounts:signup")).content.decode()
    field = re.search(r'<input[^>]*id="id_password1"[^>]*>', body).group(0)
    described_by = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    for element_id in described_by:
        # Every id it names exists, and the help text holds the list of rules.
        assert f'id="{element_id}"' in body
    helptext = next(i for i in described_by if i.endswith("_helptext"))
    block = re.search(rf'<div class="help" id="{helptext}">(.*?)</div>', body, re.S)
    assert re.search(r"<ul>\s*<li>", block.group(1))


# ---- dates written one way -------------------------------------------------


def test_the_site_has_one_form_for_dates_and_one_for_date_and_time():
    assert formats.get_format("DATE_FORMAT") == "D j M Y"
    assert formats.get_format("DATETIME_FORMAT") == "D j M Y, H:i"
    assert site_time(MOMENT) == "Tue 1 Jan 2030, 14:30"
    assert site_date(MOMENT) == "Tue 1 Jan 2030"


def test_templates_write_dates_only_in_the_sites_forms():
    allowed = {"DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "e"}
    found = {}
    for path in TEMPLATES.rglob("*"):
        if path.is_file():
            for fmt in re.findall(r'\|(?:date|time):"([^"]*)"', path.read_text()):
                if fmt not in allowed:
                    found.setdefault(str(path.relative_to(TEMPLATES)), []).append(fmt)
    assert found == {}


@pytest.mark.usefixtures("immediate_tasks")
def test_an_email_writes_the_date_the_sites_way(
    approver, django_capture_on_commit_callbacks
):
    from django.core import mail

    from interviews.services import schedule_interview

    interview = InterviewRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule_interview(interview, approver, MOMENT.replace(year=2031), "")
    # 1 January 2031 is a Wednesday.
    assert "Wed 1 Jan 2031, 14:30" in mail.outbox[-1].subject


def test_the_console_writes_dates_the_sites_way(approver_client):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_change", args=[payment.pk])

    body = approver_client.get(url).content.decode()

    # The read-only "submitted" field, in the site's time zone and form.
    assert site_time(payment.created_at) in body
    changelist = approver_client.get(reverse("admin:payments_payment_changelist"))
    assert site_time(payment.created_at) in changelist.content.decode()


# ---- the console -----------------------------------------------------------


def test_the_console_has_the_sites_favicon(approver_client):
    body = approver_client.get(reverse("admin:index")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg"' in body


def _decision_buttons(body):
    """[(tone, label)] of every decision button on the page."""
    found = []
    pattern = r'<(button|input)([^>]*class="decision-button (\w+)"[^>]*)>([^<]*)'
    for kind, attributes, tone, text in re.findall(pattern, body):
        if kind == "input":
            text = re.search(r'value="([^"]*)"', attributes).group(1)
        found.append((tone, text.strip()))
    return found


def _labels(buttons):
    return [label for _, label in buttons]


def _sentence_case(label):
    first, *rest = label.split()
    return first[0].isupper() and all(word.islower() or word.isdigit() for word in rest)


def test_payment_decisions_are_full_size_buttons(approver_client):
    payment = PaymentFactory()
    body = approver_client.get(
        reverse("admin:payments_payment_change", args=[payment.pk])
    ).content.decode()
    buttons = _decision_buttons(body)
    assert _labels(buttons) == ["Approve payment", "Reject payment"]
    assert [tone for tone, _ in buttons] == ["approve", "reject"]
    assert "style=" not in body.split('id="payment-decision"')[1].split("</div>")[0]


def test_request_decisions_are_full_size_buttons(approver_client):
    interview = InterviewRequestFactory(status=RequestStatus.PENDING)
    body = approver_client.get(
        reverse("admin:interviews_interviewrequest_change", args=[interview.pk])
    ).content.decode()
    buttons = _decision_buttons(body)
    assert _labels(buttons) == ["Approve with this schedule", "Reject with this reason"]
    assert all(_sentence_case(label) for label in _labels(buttons))


@pytest.mark.usefixtures("immediate_tasks")
def test_the_review_publish_button_is_a_full_size_decision(
    approver_client,
    completed,  # noqa: F811
):
    body = approver_client.get(
        reverse("admin:interviews_interviewtoreview_review", args=[completed.pk])
    ).content.decode()
    buttons = _decision_buttons(body)
    assert _labels(buttons) == ["Save draft", "Publish to student"]
    assert [tone for tone, _ in buttons] == ["secondary", "approve"]
