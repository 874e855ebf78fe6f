"""Who is emailed about a payment, and with what. The only place that decides it:
payments/services.py calls these after a transition won; portal.emails records
the email and enqueues it once the transaction commits."""

from django.conf import settings
from django.urls import reverse

from portal.emails import send_on_commit


def email_key_prefix(payment):
    """Every email about this payment has a key starting with this."""
    return f"payment:{payment.public_id}:"


def _context(payment):
    return {
        "payment": payment,
        "student": payment.student,
        "course": payment.course,
        "payment_url": settings.SITE_URL
        + reverse("payments:payment", args=[payment.public_id]),
        "dashboard_url": settings.SITE_URL + reverse("dashboard"),
    }


def _send(name, payment, event):
    send_on_commit(
        name,
        _context(payment),
        [payment.student.email],
        key=email_key_prefix(payment) + event,
    )


def send_approved(payment):
    _send("payment_approved", payment, "approved")


def send_rejected(payment):
    _send("payment_rejected", payment, "rejected")
