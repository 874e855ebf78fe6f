"""The read-only "Emails" section of a payment's and an interview's change page:
every email recorded about it (portal/emails.py), found by key prefix."""

from django.utils.html import format_html, format_html_join

from portal.dates import site_time
from portal.emails import emails_about


def sent_emails_table(prefix):
    rows = [
        (
            email.template,
            email.to,
            email.get_status_display(),
            email.attempts,
            site_time(email.sent_at) if email.sent_at else "-",
            email.last_error or "",
        )
        for email in emails_about(prefix)
    ]
    if not rows:
        return "No emails yet."
    return format_html(
        '<table class="sent-emails"><thead><tr><th scope="col">Email</th>'
        '<th scope="col">To</th><th scope="col">Status</th>'
        '<th scope="col">Tries</th><th scope="col">Sent</th>'
        '<th scope="col">Last error</th></tr></thead><tbody>{}</tbody></table>',
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            rows,
        ),
    )
