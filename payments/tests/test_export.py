"""CSV export of payments for the accountant, and the statement on a payment's page."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from payments import reconcile
from payments.factories import CompletedPaymentFactory, PaymentFactory
from payments.reconcile_admin import spreadsheet_safe
from payments.tests.statement_files import sbi_row, sbi_statement, to_csv

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:payments_payment_changelist")


def exported(client, payments, query=""):
    response = client.post(
        CHANGELIST + query,
        {"action": "export_csv", "_selected_action": [p.pk for p in payments]},
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+91 98", "'+91 98"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Priya", "Priya"),
        (None, ""),
    ],
)
def test_formula_starts_are_neutralised(value, safe):
    assert spreadsheet_safe(value) == safe


def test_the_export_has_the_selected_payments_with_formulas_neutralised(
    approver_client,
):
    student = UserFactory(full_name='=HYPERLINK("http://x","y")')
    payment = PaymentFactory(student=student)

    rows = exported(approver_client, [payment])

    assert rows[0][:3] == ["Reference", "Submitted", "Student"]
    assert rows[1][0] == payment.reference
    assert rows[1][2] == '\'=HYPERLINK("http://x","y")'


def test_the_export_keeps_the_filters_applied(approver_client):
    pending, done = PaymentFactory(), CompletedPaymentFactory()

    rows = exported(approver_client, [pending, done], "?status=completed")

    assert [row[0] for row in rows[1:]] == [done.reference]


def test_a_payments_page_shows_the_statement_line_side_by_side(
    approver_client, approver
):
    payment = PaymentFactory(utr="412345678901")
    reconcile.import_statement(
        approver, "jan.csv", to_csv(sbi_statement([sbi_row("412345678901", "150.00")]))
    )

    page = approver_client.get(
        reverse("admin:payments_payment_change", args=[payment.pk])
    )

    assert b"UTR found, amount differs" in page.content
    assert b"jan.csv, row 5" in page.content
    assert "₹150.00".encode() in page.content
