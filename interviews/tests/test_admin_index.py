from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interviews.factories import InterviewRequestFactory
from interviews.models import RequestStatus
from interviews.scheduling import site_datetime
from interviews.templatetags.approval_dashboard import waiting_work
from payments.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localtime(timezone.now(), timezone.get_default_timezone()).date()


def _scheduled_on(day, hour):
    return InterviewRequestFactory(
        status=RequestStatus.SCHEDULED,
        scheduled_at=site_datetime(day, datetime.min.time()).replace(hour=hour),
    )


def test_the_admin_index_counts_what_waits(approver_client):
    PaymentFactory.create_batch(2)
    InterviewRequestFactory.create_batch(3)
    today = _today()
    _scheduled_on(today, 23)  # 23:xx IST is still today in IST
    _scheduled_on(today + timedelta(days=1), 0)  # 00:xx IST tomorrow
    _scheduled_on(today + timedelta(days=1), 10)
    _scheduled_on(today + timedelta(days=2), 10)
    InterviewRequestFactory(status=RequestStatus.COMPLETED)
    InterviewRequestFactory(status=RequestStatus.COMPLETED, reviewed_at=timezone.now())
    rows = {label.split(" (")[0]: (count, url) for label, count, url in waiting_work()}
    assert rows["Payments to verify"][0] == 2
    assert rows["Interview requests to schedule"][0] == 3
    assert rows["Interviews today"][0] == 1
    assert rows["Interviews tomorrow"][0] == 2
    assert rows["Completed interviews to review"][0] == 1

    body = approver_client.get(reverse("admin:index")).content.decode()
    assert "What waits" in body
    pending_queue = reverse("admin:interviews_interviewrequest_changelist")
    assert f'href="{pending_queue}?status=pending"' in body
    payments_queue = reverse("admin:payments_payment_changelist")
    assert f'href="{payments_queue}?status=pending_verification"' in body
    assert "Interviews tomorrow" in body


def test_the_links_open_the_matching_lists(approver_client):
    today = _today()
    _scheduled_on(today + timedelta(days=1), 10)
    _scheduled_on(today + timedelta(days=2), 10)
    rows = {label.split(" (")[0]: url for label, _, url in waiting_work()}
    response = approver_client.get(rows["Interviews tomorrow"])
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
