"""The owner's analytics page in a browser: no axe violations (with every table
unfolded) and nothing wider than a 375 px phone screen."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.factories import UserFactory
from bench.scale import seed_scale

pytestmark = pytest.mark.e2e


@pytest.fixture
def owner(db):
    call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())
    seed_scale(200, stdout=StringIO())
    return UserFactory(
        username="owner", full_name="Olga Owner", is_staff=True, is_superuser=True
    )


def unfold_every_table(page):
    page.locator("details").evaluate_all("all => all.forEach(d => (d.open = true))")


def test_the_analytics_page(audit, owner):
    problems = []
    for path in ["/admin/analytics/", "/admin/analytics/?period=365"]:
        problems += audit(path, owner, then=unfold_every_table)
    problems += audit(
        "/admin/analytics/?period=custom&first=2026-05-02&last=2026-05-01",
        owner,
        status=400,
    )
    assert not problems, "\n\n".join(problems)
