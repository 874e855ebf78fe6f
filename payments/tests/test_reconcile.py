"""Importing statements in the console, matching pending payments, and
approving the matched ones with one confirmation."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.factories import UserFactory
from interviews.factories import InterviewCourseFactory
from payments import reconcile
from payments.factories import PaymentFactory
from payments.models import (
    MatchResult,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Statement,
    StatementLine,
)
from payments.statements import StatementRefused
from payments.tests.statement_files import sbi_row, sbi_statement, to_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

IMPORT = reverse("admin:payments_payment_import_statement")
CHANGELIST = reverse("admin:payments_payment_changelist")
IST = ZoneInfo("Asia/Kolkata")


def submitted_on(payment, day):
    when = datetime(2026, 1, day, 11, 0, tzinfo=IST)
    Payment.objects.filter(pk=payment.pk).update(created_at=when)
    payment.refresh_from_db()
    return payment


def upload(client, content, name="statement.csv", **mapping):
    data = {"statement": SimpleUploadedFile(name, content, "text/csv")}
    data.update({f"{role}_column": column for role, column in mapping.items()})
    return client.post(IMPORT, data)


@pytest.fixture
def ten_pending():
    course = InterviewCourseFactory(fee=Decimal("200.00"))
    payments = [
        submitted_on(
            PaymentFactory(
                course=course,
                utr=f"41234567{n:04d}",
                student=UserFactory(email=f"s{n}@example.org"),
            ),
            15,
        )
        for n in range(10)
    ]
    return payments


def statement_for(payments, wrong_amount, absent):
    rows = []
    for payment in payments:
        if payment is absent:
            continue
        amount = "150.00" if payment is wrong_amount else "200.00"
        rows.append(sbi_row(payment.utr, amount, day="15 Jan 2026"))
    rows.append(sbi_row("499999999999", "999.00", day="14 Jan 2026"))
    rows.append(sbi_row("499999999998", "5.00", day="16 Jan 2026"))
    return to_csv(sbi_statement(rows))


def test_ten_pending_eight_matched_two_flagged_one_click_approves_eight(
    approver_client, approver, ten_pending
):
    wrong, absent = ten_pending[3], ten_pending[7]

    response = upload(approver_client, statement_for(ten_pending, wrong, absent))

    assert response.status_code == 200
    result = response.context["result"]
    assert len(result.matched) == 8
    assert {p.reference for p in result.flagged} == {wrong.reference, absent.reference}
    assert b"8 matched by statement" in response.content
    assert b"2 flagged" in response.content
    wrong.refresh_from_db()
    absent.refresh_from_db()
    assert wrong.match == MatchResult.AMOUNT_DIFFERS
    assert "₹150.00" in wrong.match_note
    assert absent.match == MatchResult.NOT_FOUND
    assert Payment.objects.filter(status=PaymentStatus.COMPLETED).count() == 0
    assert mail.outbox == []

    # The queue lists the matched payments first.
    queue = approver_client.get(CHANGELIST)
    listed = [p.reference for p in queue.context["cl"].result_list]
    assert set(listed[:8]) == {
        p.reference for p in ten_pending if p not in (wrong, absent)
    }
    assert b">Matched<" in queue.content

    # Selecting all ten shows the confirmation for the eight; nothing is approved.
    data = {
        "action": "approve_matched",
        "_selected_action": [p.pk for p in ten_pending],
    }
    confirm = approver_client.post(CHANGELIST, data)
    assert confirm.status_code == 200
    assert len(confirm.context["payments"]) == 8
    assert confirm.context["skipped"] == 2
    assert Payment.objects.filter(status=PaymentStatus.COMPLETED).count() == 0

    with django_capture_on_commit(approver_client) as done:
        done(CHANGELIST, {**data, "apply": "yes"})

    approved = Payment.objects.filter(status=PaymentStatus.COMPLETED)
    assert approved.count() == 8
    assert set(Payment.objects.filter(status=PaymentStatus.PENDING_VERIFICATION)) == {
        wrong,
        absent,
    }
    events = PaymentEvent.objects.filter(to_status=PaymentStatus.COMPLETED)
    assert events.count() == 8
    for event in events:
        assert event.actor == approver
        assert "Verified against the bank statement" in event.remarks
        assert event.payment.utr in event.remarks
        assert "statement.csv, row" in event.remarks
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.student.email for p in approved
    )


class django_capture_on_commit:  # noqa: N801 - reads as a context manager
    """Post through the client and run the on-commit callbacks (the emails)."""

    def __init__(self, client):
        self.client = client

    def __enter__(self):
        from django.test import TestCase

        self._ctx = TestCase.captureOnCommitCallbacks(execute=True)
        self._ctx.__enter__()
        return lambda url, data: self.client.post(url, data, follow=True)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_importing_the_same_file_twice_stores_nothing_the_second_time(
    approver_client, ten_pending
):
    content = statement_for(ten_pending, None, None)
    upload(approver_client, content)
    lines = StatementLine.objects.count()

    again = upload(approver_client, content)

    assert b"already imported" in again.content
    assert StatementLine.objects.count() == lines
    assert Statement.objects.count() == 1


def test_an_overlapping_statement_adds_only_the_new_credits(approver, ten_pending):
    first = to_csv(sbi_statement([sbi_row(p.utr, "200.00") for p in ten_pending[:6]]))
    overlap = to_csv(
        sbi_statement(
            [sbi_row(p.utr, "200.00") for p in ten_pending[4:]], preamble=False
        )
    )
    reconcile.import_statement(approver, "a.csv", first)

    result = reconcile.import_statement(approver, "b.csv", overlap)

    assert (result.added, result.already_known) == (4, 2)
    assert StatementLine.objects.count() == 10


def test_a_refused_import_stores_nothing_and_says_why(approver_client, ten_pending):
    rows = sbi_statement([sbi_row(ten_pending[0].utr, "200.00"), sbi_row("1", "abc")])

    response = upload(approver_client, to_csv(rows))

    assert b"Nothing was imported" in response.content
    assert b"the amount" in response.content
    assert Statement.objects.count() == StatementLine.objects.count() == 0
    assert Payment.objects.filter(match="").count() == 10


def test_a_utr_already_stored_with_another_amount_refuses_the_import(approver):
    reconcile.import_statement(
        approver, "a.csv", to_csv(sbi_statement([sbi_row("412345678901", "200.00")]))
    )

    with pytest.raises(StatementRefused, match="already recorded"):
        reconcile.import_statement(
            approver,
            "b.csv",
            to_csv(sbi_statement([sbi_row("412345678901", "300.00")])),
        )
    assert Statement.objects.count() == 1


def test_the_generic_layout_takes_the_columns_the_approver_names(approver_client):
    payment = submitted_on(PaymentFactory(utr="412345678901"), 15)
    content = to_csv([["When", "Ref", "Got"], ["15/01/2026", "412345678901", "200"]])

    asked = upload(approver_client, content)
    assert b"not a layout we know" in asked.content
    done = upload(approver_client, content, utr="Ref", amount="Got", date="When")

    assert len(done.context["result"].matched) == 1
    payment.refresh_from_db()
    assert payment.match == MatchResult.MATCHED


def test_a_payment_outside_every_statement_is_not_flagged(approver):
    early = submitted_on(PaymentFactory(utr="412345678999"), 2)

    reconcile.import_statement(
        approver, "a.csv", to_csv(sbi_statement([sbi_row("412345678901", "200")]))
    )

    early.refresh_from_db()
    assert early.match == ""


def test_a_credit_another_live_payment_already_claims_is_flagged(approver):
    first = submitted_on(PaymentFactory(utr="412345678901"), 15)
    reconcile.import_statement(
        approver, "a.csv", to_csv(sbi_statement([sbi_row("412345678901", "200")]))
    )
    first.refresh_from_db()
    # A second payment pointing at the same credit (e.g. the UTR constraint
    # relaxed for rejected payments, or a UTR typed into two payments).
    second = submitted_on(PaymentFactory(utr="412345678902"), 15)
    Payment.objects.filter(pk=second.pk).update(statement_line=first.statement_line)

    reconcile.match_pending_payments()

    first.refresh_from_db()
    assert first.match == MatchResult.CLAIMED_TWICE
    assert second.reference in first.match_note


def test_a_payment_submitted_after_the_import_is_matched_at_once(
    student_client, approver
):
    reconcile.import_statement(
        approver, "a.csv", to_csv(sbi_statement([sbi_row("412345678901", "200.00")]))
    )
    course = InterviewCourseFactory(fee=Decimal("200.00"))
    from payments.factories import png_bytes
    from payments.tests.helpers import upload as image_upload

    student_client.post(
        reverse("payments:pay", args=[course.slug]),
        {"utr": "412345678901", "screenshot": image_upload(png_bytes())},
    )

    payment = Payment.objects.get(utr="412345678901")
    assert payment.match == MatchResult.MATCHED
    assert payment.status == PaymentStatus.PENDING_VERIFICATION


def test_students_cannot_open_the_import_page(student_client):
    assert student_client.get(IMPORT).status_code in (302, 403)


def test_the_import_page_opens_for_approvers(approver_client):
    response = approver_client.get(IMPORT)
    assert response.status_code == 200
    assert b"Import and match" in response.content
    assert b"Import bank statement" in approver_client.get(CHANGELIST).content
