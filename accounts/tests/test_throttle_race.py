"""The login throttle under concurrent guesses: claim, then check, then clear.

These run on SQLite and on PostgreSQL (CI runs the suite on both): the claim must
be atomic on the database cache of either, and on Redis (test_throttle_redis.py).
"""

import threading

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.factories import TEST_PASSWORD, UserFactory
from accounts.roles import make_approver
from accounts.tests.hashers import CountingMD5PasswordHasher

pytestmark = pytest.mark.django_db(transaction=True)

ATTACKER, REAL_USER = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def password_checks(settings):
    settings.PASSWORD_HASHERS = ["accounts.tests.hashers.CountingMD5PasswordHasher"]
    CountingMD5PasswordHasher.checks = 0
    return CountingMD5PasswordHasher


def post_together(times, url, data, address):
    """`times` POSTs at once, each from its own thread, client and connection."""
    barrier = threading.Barrier(times)
    statuses, errors = [], []

    def run():
        try:
            barrier.wait(timeout=20)
            statuses.append(Client().post(url, data, REMOTE_ADDR=address).status_code)
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


@pytest.mark.parametrize("url_name", ["accounts:login", "admin:login"])
def test_thirty_guesses_at_once_check_at_most_five_passwords(password_checks, url_name):
    make_approver(UserFactory(username="target"))
    password_checks.checks = 0

    statuses = post_together(
        30, reverse(url_name), {"username": "target", "password": "wrong"}, ATTACKER
    )

    assert statuses == [200] * 30
    assert 1 <= password_checks.checks <= 5


def test_a_burst_from_one_address_does_not_lock_the_real_user_out_elsewhere(
    password_checks,
):
    user = UserFactory(username="target")
    url = reverse("accounts:login")
    post_together(30, url, {"username": "target", "password": "wrong"}, ATTACKER)

    client = Client()
    response = client.post(
        url, {"username": "target", "password": TEST_PASSWORD}, REMOTE_ADDR=REAL_USER
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_thirty_wrong_old_passwords_at_once_check_at_most_five(password_checks):
    user = UserFactory(username="target")
    password_checks.checks = 0
    barrier = threading.Barrier(30)
    errors = []

    def run():
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=20)
            client.post(
                reverse("accounts:password_change"),
                {
                    "old_password": "wrong",
                    "new_password1": "Brand-New-Pass-2026",
                    "new_password2": "Brand-New-Pass-2026",
                },
                REMOTE_ADDR=ATTACKER,
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    # force_login checks no password; the session's hash check is not verify().
    assert 1 <= password_checks.checks <= 5
