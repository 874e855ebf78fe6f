"""Every email is rendered from emails/<name>_subject.txt, _body.txt and _body.html
and sent only after the surrounding transaction commits."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def render_email(name, context, to, attachments=()):
    context = {"SITE_URL": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=list(to))
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def send_on_commit(name, context, to, attachments=()):
    """Render now (while the objects are at hand), send once the transaction commits."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    message = render_email(name, context, recipients, attachments)

    def _send():
        try:
            message.send()
        except Exception:  # a mail outage must not turn a decision into a 500
            logger.exception("email %s to %s failed", name, recipients)

    transaction.on_commit(_send)
