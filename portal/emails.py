"""Every email is rendered from emails/<name>_subject.txt, _body.txt and _body.html,
recorded (accounts.SentEmail) in the transaction that decided it, and delivered
by a task once that transaction commits.

Delivery guarantees (see docs/operations.md, "The worker"):
- a committed decision always has its email row, even if the queue is down when
  it commits (portal.tasks.resend_stuck_emails enqueues rows nobody is working on);
- a row is claimed (pending -> sending, a conditional update) before it is sent,
  so two tasks for one email send it once, and a sent email is never sent again;
- a failed try is retried with exponential backoff, EMAIL_MAX_ATTEMPTS in all,
  then the row is marked failed with a log line saying so;
- a worker killed after claiming leaves the row "sending"; after
  EMAIL_STUCK_AFTER_SECONDS it is tried again. The only way an email goes out
  twice is a worker killed in the moment between the mail server accepting it
  and the row being marked sent (or the database failing in that moment).
"""

import base64
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError
from django.db.models import F
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from portal.db import atomic, in_transaction, on_commit

logger = logging.getLogger(__name__)


def _render_text(template_name, context):
    """Plain text is not HTML: render without autoescape, or a name typed as
    `A & B` reaches the reader as `A &amp; B`. Only the HTML part escapes."""
    return get_template(template_name).template.render(
        Context(context, autoescape=False)
    )


def render_email(name, context, to, attachments=()):
    context = {"SITE_URL": settings.SITE_URL, **context}
    subject = " ".join(_render_text(f"emails/{name}_subject.txt", context).split())
    text = _render_text(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=list(to))
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def send_on_commit(name, context, to, attachments=(), key=None):
    """Render now (while the objects are at hand), record the email, and enqueue
    its delivery once the transaction commits. `key` names the email uniquely
    (e.g. "payment:<public_id>:approved"): a second call with the same key adds
    nothing. Returns the SentEmail, or None when there is nobody to send to."""
    recipients = [address for address in to if address]
    if not recipients:
        return None
    message = render_email(name, context, recipients, attachments)
    return queue_message(message, name, key)


def queue_message(message, name, key=None):
    """Record an already built EmailMessage and enqueue it on commit, for email
    built elsewhere (e.g. a library's adapter): nothing is sent in the request."""
    from accounts.models import SentEmail

    key = key or f"{name}:{uuid.uuid4().hex}"
    # Inside the caller's transaction a failed insert cannot be undone alone (no
    # savepoints on MongoDB, portal/db.py): look first, and let a twin recorded
    # at the very same moment fail (and roll back) that transaction whole.
    if in_transaction() and (twin := SentEmail.objects.filter(key=key).first()):
        logger.info("email %s is already recorded; not sent again", key)
        return twin
    try:
        with atomic():
            email = SentEmail.objects.create(
                key=key,
                template=name,
                to=", ".join(message.to),
                message=_dump(message),
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        if in_transaction():
            raise
        logger.info("email %s is already recorded; not sent again", key)
        return SentEmail.objects.filter(key=key).first()
    on_commit(lambda: enqueue_delivery(email.pk))
    return email


def enqueue_delivery(email_id):
    from portal.tasks import deliver_email

    try:
        deliver_email(email_id)
    except Exception as exc:  # the queue is down: the sweep enqueues it later
        logger.warning(
            "email %s not enqueued (%s); it waits for the next sweep",
            email_id,
            type(exc).__name__,
        )


def retry_delay(attempts):
    """Seconds before the next try after `attempts` failed ones: 1, 2, 4, 8...
    times EMAIL_RETRY_BASE_SECONDS (60 s: seven tries over about an hour)."""
    return settings.EMAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1)


def deliver(email_id):
    """Send one recorded email if nobody has. Returns the delay in seconds before
    the next try when this one failed and another is due, else None."""
    from accounts.models import EmailStatus, SentEmail

    now = timezone.now()
    claimed = SentEmail.objects.filter(pk=email_id, status=EmailStatus.PENDING).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:  # sent, given up, or another worker has it in hand
        return None
    email = SentEmail.objects.get(pk=email_id)
    mine = SentEmail.objects.filter(pk=email_id, status=EmailStatus.SENDING)
    try:
        message = _load(email.message)
        # Django's default EMAIL_TIMEOUT is None (wait forever): never here.
        message.connection = get_connection(
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 10
        )
        message.send()
    except Exception as exc:  # refused, timed out, unreachable: all retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            mine.update(status=EmailStatus.FAILED, last_error=error, claimed_at=None)
            logger.error(
                "email %s to %s: giving up after %d attempts; last error: %s",
                email.key,
                email.to,
                email.attempts,
                error,
            )
            return None
        delay = retry_delay(email.attempts)
        mine.update(
            status=EmailStatus.PENDING,
            last_error=error,
            claimed_at=None,
            next_attempt_at=now + timedelta(seconds=delay),
        )
        logger.warning(
            "email %s to %s: attempt %d of %d failed (%s); next try in %d s",
            email.key,
            email.to,
            email.attempts,
            settings.EMAIL_MAX_ATTEMPTS,
            error,
            delay,
        )
        return delay
    # The body (it may hold a password-reset link) is not kept once sent.
    mine.update(
        status=EmailStatus.SENT, sent_at=timezone.now(), claimed_at=None, message=None
    )
    logger.info("email %s sent to %s", email.key, email.to)
    return None


def emails_about(prefix):
    """The recorded emails whose key starts with `prefix`, oldest first."""
    from accounts.models import SentEmail

    return SentEmail.objects.filter(key__startswith=prefix).order_by("created_at")


def _dump(message):
    alternatives = [
        [content, mimetype]
        for content, mimetype in getattr(message, "alternatives", [])
    ]
    attachments = []
    for filename, content, mimetype in message.attachments:
        if isinstance(content, bytes):
            attachments.append(
                [filename, base64.b64encode(content).decode(), mimetype, True]
            )
        else:
            attachments.append([filename, content, mimetype, False])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": message.to,
        "cc": message.cc,
        "bcc": message.bcc,
        "reply_to": message.reply_to,
        "headers": message.extra_headers,
        "alternatives": alternatives,
        "attachments": attachments,
    }


def _load(data):
    message = EmailMultiAlternatives(
        data["subject"],
        data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    for filename, content, mimetype, encoded in data["attachments"]:
        message.attach(
            filename, base64.b64decode(content) if encoded else content, mimetype
        )
    return message
