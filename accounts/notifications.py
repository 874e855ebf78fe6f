"""Who is emailed about their account, and with what (see portal/emails.py)."""

from django.conf import settings
from django.urls import reverse

from accounts.tokens import email_verification_token, uid_for
from portal.emails import send_on_commit


def verification_url(user):
    path = reverse(
        "accounts:verify_email_confirm",
        args=[uid_for(user), email_verification_token.make_token(user)],
    )
    return f"{settings.SITE_URL}{path}"


def send_verification_email(user):
    send_on_commit(
        "verify_email",
        {"user": user, "verify_url": verification_url(user)},
        [user.email],
    )
