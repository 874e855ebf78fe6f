import pytest
from django.urls import reverse

from accounts.testing import log_in_verified
from interviews.factories import InterviewCourseFactory, InterviewQuestionFactory

pytestmark = pytest.mark.django_db


def test_students_see_active_courses_with_their_details(student_client):
    course = InterviewCourseFactory(title="Data Analyst", duration_minutes=25)
    InterviewQuestionFactory.create_batch(3, course=course)
    body = student_client.get(reverse("interviews:course_list")).content.decode()
    assert "Data Analyst" in body
    assert "₹200" in body
    assert "25 min" in body
    assert "3 questions" in body


def test_inactive_courses_are_hidden(student_client):
    InterviewCourseFactory(title="Retired Course", is_active=False)
    InterviewCourseFactory(title="Open Course")
    for name in ["interviews:course_list", "dashboard"]:
        body = student_client.get(reverse(name)).content.decode()
        assert "Open Course" in body
        assert "Retired Course" not in body


def test_courses_follow_the_display_order(student_client):
    InterviewCourseFactory(title="Second", display_order=2)
    InterviewCourseFactory(title="First", display_order=1)
    body = student_client.get(reverse("interviews:course_list")).content.decode()
    assert body.index("First") < body.index("Second")


def test_the_dashboard_calls_to_action(student_client):
    body = student_client.get(reverse("dashboard")).content.decode()
    assert "Pay &amp; Schedule Interview Now" in body
    assert reverse("interviews:course_list") in body


def test_an_empty_catalogue_says_so(student_client):
    body = student_client.get(reverse("interviews:course_list")).content.decode()
    assert "No interview courses are open right now" in body


def test_the_admin_edits_questions_inline(client, superuser):
    log_in_verified(client, superuser)
    course = InterviewCourseFactory()
    InterviewQuestionFactory(course=course, text="Why this role?")
    response = client.get(
        reverse("admin:interviews_interviewcourse_change", args=[course.pk])
    )
    assert response.status_code == 200
    assert "Why this role?" in response.content.decode()
