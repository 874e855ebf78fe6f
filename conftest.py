"""The cast of test users, shared by every app's tests."""

import pytest

from accounts.factories import UserFactory
from accounts.roles import make_approver


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
    client.force_login(approver)
    return client
