"""The admin index's "what waits" panel: counts with links into the queues."""

from datetime import timedelta
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.roles import is_approver
from interviews.models import InterviewRequest, RequestStatus
from interviews.scheduling import site_day_bounds
from payments.models import Payment, PaymentStatus

register = template.Library()


def _url(name, query=""):
    try:
        return reverse(name) + query
    except NoReverseMatch:  # that part of the console is not installed
        return None


def waiting_work(now=None):
    """Rows of (label, count, url or None) for the approvers' dashboard."""
    now = now or timezone.now()
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    requests = _url("admin:interviews_interviewrequest_changelist")
    rows = [
        (
            "Payments to verify",
            Payment.objects.filter(status=PaymentStatus.PENDING_VERIFICATION).count(),
            _url(
                "admin:payments_payment_changelist",
                "?status=pending_verification",
            ),
        ),
        (
            "Interview requests to schedule",
            InterviewRequest.objects.filter(status=RequestStatus.PENDING).count(),
            requests and f"{requests}?status=pending",
        ),
    ]
    for label, day in [("today", today), ("tomorrow", today + timedelta(days=1))]:
        start, end = site_day_bounds(day)
        count = InterviewRequest.objects.filter(
            status=RequestStatus.SCHEDULED,
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        ).count()
        # Aware bounds, as the admin's own date filter writes them.
        query = "?" + urlencode(
            {
                "status": RequestStatus.SCHEDULED,
                "scheduled_at__gte": str(start),
                "scheduled_at__lt": str(end),
            }
        )
        rows.append(
            (
                f"Interviews {label} ({day:%a %-d %b})",
                count,
                requests and requests + query,
            )
        )
    rows.append(
        (
            "Completed interviews to review",
            InterviewRequest.objects.filter(
                status=RequestStatus.COMPLETED, reviewed_at__isnull=True
            ).count(),
            _url("admin:interviews_interviewtoreview_changelist"),
        )
    )
    return rows


@register.inclusion_tag("admin/interviews/_waiting_work.html", takes_context=True)
def approval_dashboard(context):
    request = context["request"]
    if not is_approver(request.user):
        return {"rows": None}
    return {"rows": waiting_work()}
