"""Every email is rendered from emails/<name>_subject.txt, _body.txt and _body.html
and sent only after the surrounding transaction commits."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string

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
