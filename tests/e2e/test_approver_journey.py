"""The approver's day in the console: what waits, the queues, decisions, the audit
trail."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.factories import TEST_PASSWORD, UserFactory
from accounts.roles import make_approver
from accounts.testing import give_authenticator
from interviews.factories import (
    InterviewCourseFactory,
    InterviewRequestFactory,
    ScheduledRequestFactory,
)
from interviews.models import RequestStatus
from payments.factories import PaymentFactory
from payments.models import Payment, PaymentStatus
from tests.e2e import steps
from tests.e2e.browser import log_in_with_form

pytestmark = pytest.mark.e2e


@pytest.fixture
def asha(db):
    return make_approver(UserFactory(username="asha", full_name="Asha Approver"))


@pytest.fixture
def course(db):
    return InterviewCourseFactory(title="Bank PO Interview", slug="bank-po")


def select_row(admin, text):
    """Tick the changelist checkbox of the row that mentions `text`."""
    admin.get_by_role("row", name=re.compile(re.escape(text))).get_by_role(
        "checkbox"
    ).check()


def run_action(admin, label):
    admin.get_by_label("Action:").select_option(label=label)
    admin.get_by_role("button", name="Go").click()


def test_an_approver_works_through_what_waits(page, asha, course):
    payers = [UserFactory(full_name=name) for name in ("Anil", "Bela", "Chitra")]
    payments = [PaymentFactory(student=s, course=course) for s in payers]
    waiting = InterviewRequestFactory(course=course, student__full_name="Dev Rao")
    completed = ScheduledRequestFactory(course=course, student__full_name="Esha")
    completed.status = RequestStatus.COMPLETED
    completed.completed_at = timezone.now()
    completed.save()

    # Log in to the console with the form.
    page.goto("/admin/")
    page.get_by_label("Username:").fill("asha")
    page.get_by_label("Password:").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The first login of an approver sets up the second factor (issue 12).
    assert len(steps.enrol_authenticator(page)) == 10
    expect(page.get_by_role("table", name="What waits")).to_be_visible()
    assert steps.waiting_count(page, "Payments to verify") == 3
    assert steps.waiting_count(page, "Interview requests to schedule") == 1
    assert steps.waiting_count(page, "Completed interviews to review") == 1

    # Payments: approve two at once, reject the third with a canned reason.
    steps.open_queue(page, "Payments to verify")
    for payment in payments:
        expect(
            page.get_by_role("link", name=payment.reference, exact=True)
        ).to_be_visible()
    select_row(page, payments[0].reference)
    select_row(page, payments[1].reference)
    run_action(page, "Approve selected payments")
    expect(page.get_by_text("Approved 2 payments.")).to_be_visible()

    select_row(page, payments[2].reference)
    run_action(page, "Reject selected payments…")
    page.get_by_label("Reason").select_option(label="Wrong payee")
    page.get_by_role("button", name="Reject 1 payment").click()
    expect(page.get_by_text("Rejected 1 payment.")).to_be_visible()
    assert steps.waiting_count(page, "Payments to verify") == 0

    # The interview request: approve it at the time the student asked for.
    steps.open_request(page, "Dev Rao")
    expect(page.get_by_text("The student asked for")).to_be_visible()
    page.get_by_role("button", name="Approve with this schedule").click()
    expect(page.get_by_text(re.compile(r"Dev Rao: scheduled for"))).to_be_visible()
    assert steps.waiting_count(page, "Interview requests to schedule") == 0
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.SCHEDULED
    assert waiting.scheduled_at == waiting.preferred_at

    # The audit trail says who decided what.
    page.goto("/admin/payments/payment/?status=all")
    page.get_by_role("link", name=payments[2].reference, exact=True).click()
    expect(
        page.get_by_text(re.compile(r"This payment was decided by Asha Approver"))
    ).to_be_visible()
    trail = page.get_by_role("table").filter(has_text="Wrong payee")
    expect(trail).to_contain_text("Pending verification")
    expect(trail).to_contain_text("Rejected")
    expect(page.get_by_role("button", name="Approve payment")).to_have_count(0)

    page.goto("/admin/interviews/interviewrequest/?status=all")
    page.get_by_role("row", name=re.compile("Dev Rao")).get_by_role(
        "link"
    ).first.click()
    trail = page.get_by_role("table").filter(has_text="pending -> scheduled")
    expect(trail).to_contain_text("asha")

    decided = Payment.objects.filter(pk__in=[p.pk for p in payments])
    assert list(decided.order_by("pk").values_list("status", flat=True)) == [
        PaymentStatus.COMPLETED,
        PaymentStatus.COMPLETED,
        PaymentStatus.REJECTED,
    ]


def test_when_two_approvers_decide_one_payment_the_second_is_told(
    page_as, asha, course
):
    payment = PaymentFactory(course=course)
    other = make_approver(UserFactory(username="ravi", full_name="Ravi Approver"))
    first, second = page_as(asha), page_as(other)
    steps.open_payment(first, payment.reference)
    steps.open_payment(second, payment.reference)

    first.get_by_role("button", name="Approve payment").click()
    expect(first.get_by_text(f"Approved payment {payment.reference}.")).to_be_visible()
    second.get_by_label("Remarks to the student", exact=True).fill("Unreadable.")
    second.get_by_role("button", name="Reject payment").click()

    expect(second.get_by_text("was already decided by Asha Approver")).to_be_visible()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.events.count() == 1


def test_a_student_cannot_open_the_console(page_as, student):
    page = page_as(student)
    response = page.goto("/admin/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("do not have access")


def test_an_enrolled_approver_types_the_code_after_the_password(page, asha):
    device = give_authenticator(asha)
    log_in_with_form(page, "asha", TEST_PASSWORD)
    steps.enter_authenticator_code(page, device)
    page.goto("/admin/")
    expect(page.get_by_role("table", name="What waits")).to_be_visible()
