"""Account emails sent by the worker, never inside the request (issue 12,
finding 11): the request only enqueues, so it takes the same time and the same
queries whether or not an account has the address."""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from portal.db import atomic
from portal.emails import send_on_commit

logger = logging.getLogger(__name__)

# How long a sign-up link works (the emails say "a day").
SIGNUP_LINK_LIFETIME = timedelta(days=1)


@db_task()
def send_password_reset(email, request_id):
    """Email a reset link to every active account with this address (none, one
    or several). `request_id` names this request, so a task run twice (a
    retried or interrupted worker) sends each link once."""
    site = urlsplit(settings.SITE_URL)  # never the request's Host header
    for user in PasswordResetForm().get_users(email):
        context = {
            "email": user.email,
            "domain": site.netloc,
            "site_name": "Video Interview Portal",
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": site.scheme,
        }
        send_on_commit(
            "password_reset",
            context,
            [user.email],
            key=f"password_reset:{request_id}:{user.pk}",
        )


# ---- Sign-up without enumeration (issue 12, finding 11) ----


# Retried: a run is idempotent (one sign-up and one email per request_id).
@db_task(retries=3, retry_delay=30)
def start_signup(fields, request_id):
    """The worker half of a sign-up. A new address gets a link that creates the
    account; a registered one gets a note to its owner instead. The request did
    the same work in both cases: it validated the form and enqueued this."""
    from accounts import notifications
    from accounts.models import PendingSignup, User, email_key_for

    with atomic():
        owner = User.objects.filter(email_key=email_key_for(fields["email"])).first()
        if owner is not None:
            notifications.send_signup_attempt_warning(owner, key=f"signup:{request_id}")
            return
        pending, token = PendingSignup.start(
            request_id=request_id, lifetime=SIGNUP_LINK_LIFETIME, **fields
        )
        if pending is not None:
            notifications.send_signup_link(pending, token, key=f"signup:{request_id}")


@db_periodic_task(crontab(minute="41"))
def purge_expired_signups():
    from accounts.models import PendingSignup

    deleted = PendingSignup.purge_expired()
    if deleted:
        logger.info("deleted %d expired sign-up(s)", deleted)
    return deleted
