"""The login throttle's claims with Redis as the cache (REDIS_URL set)."""

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.tests.test_throttle_race import ATTACKER, password_checks, post_together

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["password_checks"]  # a fixture


def test_thirty_guesses_at_once_check_at_most_five_passwords_on_redis(
    redis_cache, password_checks
):
    UserFactory(username="target")
    password_checks.checks = 0
    statuses = post_together(
        30,
        reverse("accounts:login"),
        {"username": "target", "password": "wrong"},
        ATTACKER,
    )
    assert statuses == [200] * 30
    assert password_checks.checks == 5
