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


# ---- Sign-up without enumeration (issue 12, finding 11) ----


def send_signup_link(pending, token, key):
    path = reverse("accounts:signup_confirm", args=[token])
    send_on_commit(
        "signup_confirm",
        {"signup": pending, "confirm_url": f"{settings.SITE_URL}{path}"},
        [pending.email],
        key=key,
    )


def send_signup_attempt_warning(user, key):
    """Someone (perhaps the owner, who forgot) signed up with a registered
    address: tell the owner, with the ways back in, instead of a link."""
    send_on_commit(
        "signup_existing",
        {
            "user": user,
            "login_url": f"{settings.SITE_URL}{reverse('accounts:login')}",
            "reset_url": f"{settings.SITE_URL}{reverse('accounts:password_reset')}",
        },
        [user.email],
        key=key,
    )
