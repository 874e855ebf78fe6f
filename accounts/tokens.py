"""Signed, expiring, single-purpose links for verifying an email address.

The hash covers the address and `email_verified_at`, so a link stops working
once it has been used or when the address changes; the salt keeps these tokens
apart from password-reset tokens. Links expire after PASSWORD_RESET_TIMEOUT
(three days by default), like the reset links.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        verified = user.email_verified_at
        verified = "" if verified is None else verified.replace(microsecond=0)
        return f"{user.pk}{user.email.lower()}{verified}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()


def uid_for(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(uidb64):
    from accounts.models import User

    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        return User.objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None
