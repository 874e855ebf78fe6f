"""Two clicks on one sign-up link at once make one account (issue 12, finding
11): the link is claimed with a conditional update; two links for one address
make one account too (the unique constraint on User.email_key). Needs
PostgreSQL's row locks to be a real race; skipped on SQLite (test_signup.py
and test_email_unique.py have the sequential cases)."""

import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction
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


# ---- Two links for one address (issue 12) ----


def _links_for_one_address(usernames):
    for username in usernames:
        Client().post(reverse("accounts:signup"), dict(GOOD, username=username))
    return [link_path(message) for message in mail.outbox]


def _wait_until_a_query_waits_on_a_lock(thread, timeout=10):
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while thread.is_alive() and time.monotonic() < deadline:
            # pg_locks, not pg_stat_activity: that one is read once a transaction.
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_a_link_whose_address_is_taken_while_it_is_followed_says_the_account_exists(
    settings,
):
    """The other link's account is inserted, not committed, when this click
    checks the address: it passes the check, then its insert waits on the
    unique index and fails when the other commits."""
    settings.RATELIMIT_ENABLED = False
    first, second = _links_for_one_address(["newstudent", "neha2"])
    responses, errors = [], []

    def click():
        try:
            responses.append(Client().post(second))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=click)
    with transaction.atomic():
        PendingSignup.objects.get(username="newstudent").create_account()
        thread.start()
        waited = _wait_until_a_query_waits_on_a_lock(thread)
    thread.join(timeout=30)

    assert waited, "the second insert did not wait for the first (no constraint?)"
    assert not errors, errors
    [response] = responses
    assert response.status_code == 200
    assert "An account with this email address exists already" in (
        response.content.decode()
    )
    assert User.objects.filter(email_key="neha@example.com").count() == 1
    assert PendingSignup.objects.get(username="neha2").used_at is None


def test_links_for_one_address_followed_at_once_make_one_account(settings):
    settings.RATELIMIT_ENABLED = False
    paths = _links_for_one_address(["newstudent", "neha2", "neha3", "neha4"])
    barrier = threading.Barrier(len(paths))
    statuses, bodies, errors = [], [], []

    def click(path):
        try:
            barrier.wait(timeout=10)
            response = Client().post(path)
            statuses.append(response.status_code)
            bodies.append(response.content.decode())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=[path]) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sorted(statuses) == [200, 200, 200, 302]
    exists = [b for b in bodies if "An account with this email address exists" in b]
    assert len(exists) == 3
    assert User.objects.filter(email_key="neha@example.com").count() == 1
