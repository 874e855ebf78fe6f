"""Account emails sent by the worker, never inside the request (issue 12,
finding 11): the request only enqueues, so it takes the same time and the same
queries whether or not an account has the address."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from huey.contrib.djhuey import db_task

from portal.emails import send_on_commit


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
