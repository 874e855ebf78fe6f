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


# ---- MongoDB (issue 18) ----
# On MongoDB a test's writes are not rolled back (the backend has no test
# transactions: each test's collections are emptied after it instead), and the
# cache collection is not one of them. Tests that are SQL by nature carry
# @pytest.mark.sql_only("why") and are skipped there.
def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor != "mongodb":
        return
    for item in items:
        marker = item.get_closest_marker("sql_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "SQL only"
            item.add_marker(pytest.mark.skip(reason=f"SQL only: {reason}"))
        if item.get_closest_marker("undone_in_the_test_transaction"):
            # Not inside the test-wide transaction below: there an inner block
            # cannot roll back on its own (no savepoints), as it does when it
            # is the outermost one, as in the site.
            item.add_marker(pytest.mark.django_db(transaction=True), append=False)


@pytest.fixture(autouse=True)
def _empty_cache_after_each_test_on_mongodb(request, django_db_blocker):
    yield
    from django.db import connection

    if connection.vendor == "mongodb" and "django_db_setup" in request.fixturenames:
        with django_db_blocker.unblock():
            cache.clear()


# After each test Django empties every collection and re-creates the content
# types, permissions and the approvers group (post_migrate): ~200 round trips,
# 7-14 s a test on the test server. Those rows only change when a test changes
# them, so they are kept while their counts match what the first full flush
# made, and only the other collections are emptied.
_KEPT_COLLECTIONS = (
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
)


def _kept_counts(connection):
    return tuple(
        connection.database[name].count_documents({}) for name in _KEPT_COLLECTIONS
    )


@pytest.fixture(autouse=True, scope="session")
def _quick_flush_on_mongodb():
    from django.db import connection, connections
    from django.test import TransactionTestCase

    if connection.vendor != "mongodb":
        yield
        return
    full_teardown = TransactionTestCase._fixture_teardown
    baseline = {}

    def quick_teardown(self):
        for alias in self._databases_names(include_mirrors=False):
            db = connections[alias]
            if alias in baseline and _kept_counts(db) == baseline[alias]:
                tables = db.introspection.django_table_names(only_existing=True)
                for table in set(tables) - set(_KEPT_COLLECTIONS):
                    db.database[table].delete_many({})
            else:
                full_teardown(self)
                baseline[alias] = _kept_counts(db)

    TransactionTestCase._fixture_teardown = quick_teardown
    yield
    TransactionTestCase._fixture_teardown = full_teardown


# A test that does not ask for transaction=True runs inside one MongoDB
# transaction, rolled back after it, as Django's TestCase does on SQL: what the
# test writes is undone without emptying collections, and on_commit callbacks
# wait for a commit that never comes (django_capture_on_commit_callbacks
# collects them), exactly as on SQL.
@pytest.fixture(autouse=True, scope="session")
def _test_in_a_transaction_on_mongodb():
    from django.db import connection, connections
    from django.test import TestCase
    from django_mongodb_backend.transaction import atomic

    if connection.vendor != "mongodb":
        yield
        return
    setup = TestCase.__dict__["_fixture_setup"]  # a classmethod
    teardown = TestCase.__dict__["_fixture_teardown"]

    @classmethod
    def setup_in_transaction(cls):
        setup.__func__(cls)
        for alias in cls._databases_names(include_mirrors=False):
            atomic(alias).__enter__()

    def roll_back(self):
        for alias in self._databases_names(include_mirrors=False):
            db = connections[alias]
            db.in_atomic_block_mongo, db.nested_atomics = False, 0
            db.rollback_mongo()

    TestCase._fixture_setup = setup_in_transaction
    TestCase._fixture_teardown = roll_back
    yield
    TestCase._fixture_setup, TestCase._fixture_teardown = setup, teardown
