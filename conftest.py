"""The cast of test users, shared by every app's tests."""

import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

from accounts.factories import UserFactory
from accounts.roles import make_approver
from accounts.testing import log_in_verified


@pytest.fixture(autouse=True, scope="session")
def _never_remove_the_checkout():
    """No test may remove the checkout or a folder above it. On S3 a storage's
    location is "", which Path() reads as the current directory: a fixture that
    emptied `Path(private_storage().location)` once removed a whole checkout."""
    real_rmtree = shutil.rmtree
    here = Path(__file__).resolve().parent
    protected = {Path.cwd().resolve(), here, *here.parents}

    def guarded_rmtree(path, *args, **kwargs):
        if Path(path).resolve() in protected:
            raise RuntimeError(f"A test tried to remove {path!r}: the checkout.")
        return real_rmtree(path, *args, **kwargs)

    shutil.rmtree = guarded_rmtree
    yield
    shutil.rmtree = real_rmtree


@pytest.fixture(autouse=True)
def _empty_cache_after_transactional_tests(request, django_db_blocker):
    """The cache (a database table in the tests) keeps users, sessions and the
    course catalogue, and a transactional test's flush does not empty it: the
    next test must not see the rows of the last one."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction"))
    ):
        with django_db_blocker.unblock():
            cache.clear()


@pytest.fixture
def student(db):
    return UserFactory(username="student", full_name="Priya Student")


@pytest.fixture
def other_student(db):
    return UserFactory(username="other", full_name="Omar Other")


@pytest.fixture
def approver(db):
    return make_approver(UserFactory(username="approver", full_name="Asha Approver"))


@pytest.fixture
def superuser(db):
    return UserFactory(
        username="root", full_name="Root", is_staff=True, is_superuser=True
    )


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


@pytest.fixture
def approver_client(client, approver):
    # With a passed second factor, as staff need for every page (issue 12).
    return log_in_verified(client, approver)


@pytest.fixture
def superuser_client(client, superuser):
    return log_in_verified(client, superuser)


# ---- Redis for the tests that need it (issue 12, finding 13) ----
# The `redis_cache` fixture; a missing Redis fails those tests when CI is set.
pytest_plugins = ["portal.tests.redis"]


# ---- Task queue (issue 13) ----
@pytest.fixture
def immediate_tasks():
    """Run each task as it is enqueued, in the test's thread and transaction
    (huey's immediate mode). Tests of the queue itself use the real one."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = False
