"""The course catalogue on every student page comes from the shared cache
(InterviewCourse.catalogue), refreshed whenever a course or a question changes."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interviews.factories import InterviewCourseFactory, InterviewQuestionFactory
from interviews.models import InterviewCourse, InterviewQuestion, catalogue

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


# ---- every writer of a course or a question refreshes it (issue 15, item 6) ----
# The entry's one invalidation: the post_save and post_delete receivers beside
# it in interviews/models.py. No code updates courses or questions with a bare
# queryset .update() or bulk_create (seed_demo creates questions one by one);
# a queryset .delete(), as the admin's "delete selected" runs, sends
# post_delete for every row.


def _titles():
    return [(c.title, c.question_count) for c in InterviewCourse.catalogue()]


def _new_course(title):
    InterviewCourseFactory(title=title)


def _deactivate(title):
    course = InterviewCourse.objects.get(title=title)
    course.is_active = False
    course.save()


def _delete_course(title):
    InterviewCourse.objects.get(title=title).delete()


def _delete_courses_as_the_admin_does(title):
    InterviewCourse.objects.filter(title=title).delete()


def _add_question(title):
    InterviewQuestionFactory(course=InterviewCourse.objects.get(title=title))


def _delete_questions_as_the_admin_does(title):
    InterviewQuestion.objects.filter(course__title=title).delete()


WRITERS = {
    "a new course": (_new_course, "Fresh", lambda titles: ("Fresh", 0) in titles),
    "save (deactivate)": (_deactivate, "Old", lambda titles: titles == []),
    "delete": (_delete_course, "Old", lambda titles: titles == []),
    "queryset delete": (
        _delete_courses_as_the_admin_does,
        "Old",
        lambda titles: titles == [],
    ),
    "a new question": (_add_question, "Old", lambda titles: titles == [("Old", 2)]),
    "queryset delete of questions": (
        _delete_questions_as_the_admin_does,
        "Old",
        lambda titles: titles == [("Old", 0)],
    ),
}


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_of_the_catalogue_refreshes_it(
    writer, django_capture_on_commit_callbacks
):
    InterviewQuestionFactory(course=InterviewCourseFactory(title="Old"))
    write, title, is_fresh = WRITERS[writer]
    assert _titles() == [("Old", 1)]  # cached
    with django_capture_on_commit_callbacks(execute=True):
        write(title)

    assert is_fresh(_titles())


def test_seed_demo_refreshes_the_catalogue(django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    assert _titles() == []  # cached, empty
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())

    assert len(_titles()) == 5
    assert all(count > 0 for _, count in _titles())
