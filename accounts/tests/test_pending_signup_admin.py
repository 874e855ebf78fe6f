from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import PendingSignup

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(db):
    return PendingSignup.start(
        request_id="r1",
        lifetime=timedelta(days=1),
        username="waiting",
        full_name="Waiting Student",
        email="waiting@example.com",
        phone="9876543210",
        password="pbkdf2_sha256$1$salt$not-a-real-hash",
    )[0]


def test_superusers_find_a_waiting_sign_up_by_email(superuser_client, pending):
    url = reverse("admin:accounts_pendingsignup_changelist")
    body = superuser_client.get(url, {"q": "waiting@"}).content.decode()
    assert "waiting@example.com" in body


def test_the_change_page_shows_no_password_or_token_hash(superuser_client, pending):
    url = reverse("admin:accounts_pendingsignup_change", args=[pending.pk])
    body = superuser_client.get(url).content.decode()
    assert "Waiting Student" in body
    assert "not-a-real-hash" not in body
    assert pending.token_hash not in body


def test_approvers_cannot_see_sign_ups(approver_client, pending):
    url = reverse("admin:accounts_pendingsignup_changelist")
    assert approver_client.get(url).status_code == 403
