"""The course catalogue on every student page comes from the shared cache
(InterviewCourse.catalogue), refreshed whenever a course or a question changes."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interviews.factories import InterviewCourseFactory, InterviewQuestionFactory
from interviews.models import InterviewCourse, catalogue

pytestmark = pytest.mark.django_db
COURSES = reverse("interviews:course_list")


def _page(client):
    response = client.get(COURSES)
    assert response.status_code == 200
    return response.content.decode()


def test_it_reads_the_courses_once(student_client):
    InterviewCourseFactory(title="Data Analyst")
    _page(student_client)

    with CaptureQueriesContext(connection) as queries:
        assert "Data Analyst" in _page(student_client)

    assert not [q for q in queries if '"interviews_interviewcourse"' in q["sql"]]


def test_a_new_course_shows_at_once(student_client):
    _page(student_client)
    InterviewCourseFactory(title="Product Manager")

    assert "Product Manager" in _page(student_client)


def test_a_deactivated_course_disappears_at_once(student_client):
    course = InterviewCourseFactory(title="Backend Engineer")
    assert "Backend Engineer" in _page(student_client)
    course.is_active = False
    course.save()

    assert "Backend Engineer" not in _page(student_client)


def test_question_counts_follow_added_and_deleted_questions(student_client):
    course = InterviewCourseFactory(title="Designer")
    InterviewQuestionFactory(course=course)
    assert "1 question<" in _page(student_client)

    extra = InterviewQuestionFactory(course=course)
    assert "2 questions" in _page(student_client)
    extra.delete()
    assert "1 question<" in _page(student_client)


def test_a_read_that_raced_a_change_cannot_put_the_old_list_back(
    django_capture_on_commit_callbacks,
):
    stale = InterviewCourse.catalogue()  # read before the change committed
    with django_capture_on_commit_callbacks(execute=True):
        InterviewCourseFactory(title="Late Course")

    assert cache.add(catalogue.key(), stale) is False
    assert [c.title for c in InterviewCourse.catalogue()] == ["Late Course"]
