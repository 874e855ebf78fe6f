"""Two clicks on one sign-up link at once make one account (issue 12, finding
11): the link is claimed with a conditional update. Needs PostgreSQL's row locks
to be a real race; skipped on SQLite (test_signup.py has the sequential case)."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import PendingSignup, User
from accounts.tests.test_signup import GOOD, link_path

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("immediate_tasks"),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


def test_two_clicks_at_once_make_one_account(settings):
    settings.RATELIMIT_ENABLED = False
    Client().post(reverse("accounts:signup"), GOOD)
    path = link_path(mail.outbox[0])
    barrier = threading.Barrier(4)
    statuses, bodies, errors = [], [], []

    def click():
        try:
            barrier.wait(timeout=10)
            response = Client().post(path)
            statuses.append(response.status_code)
            bodies.append(response.content.decode())
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sorted(statuses) == [200, 200, 200, 302]
    # The others are told the link was used, not asked for another username
    # (which is what the username's unique constraint alone would give).
    used = [b for b in bodies if "This link has been used already" in b]
    assert len(used) == 3
    assert User.objects.filter(email="neha@example.com").count() == 1
    assert PendingSignup.objects.get().used_at is not None
