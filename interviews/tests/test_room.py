from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from interviews.factories import AnswerFactory
from interviews.models import InterviewRequest, RequestStatus
from interviews.tests.room_helpers import open_interview


def _room(client, interview):
    return client.get(reverse("interviews:room", args=[interview.public_id]))


def test_anonymous_is_sent_to_login(client, student):
    interview = open_interview(student)

    response = _room(client, interview)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_student_cannot_open_another_students_room(client, student, other_student):
    interview = open_interview(student)
    client.force_login(other_student)

    assert _room(client, interview).status_code == 404


def test_approver_cannot_open_a_students_room(approver_client, student):
    assert _room(approver_client, open_interview(student)).status_code == 404


def test_room_before_the_window_says_when_it_opens(student_client, student):
    start = timezone.now() + timedelta(hours=2)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)

    response = _room(student_client, interview)

    assert response.status_code == 200
    assert "The room is not open yet" in response.content.decode()
    assert 'id="room"' not in response.content.decode()
    assert b"room.js" not in response.content


def test_room_opens_a_little_before_the_start(student_client, student):
    early = settings.INTERVIEW_EARLY_ENTRY_MINUTES - 1
    start = timezone.now() + timedelta(minutes=early)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)

    response = _room(student_client, interview)

    assert 'id="room"' in response.content.decode()


def test_room_inside_the_window_shows_the_room_and_noscript(student_client, student):
    interview = open_interview(student)

    body = _room(student_client, interview).content.decode()

    assert 'id="room"' in body
    assert "<noscript>" in body
    assert "needs a modern browser" in body
    assert "I agree, start the interview" in body
    assert f"{settings.RECORDING_RETENTION_DAYS} days" in body
    assert "<script>" not in body  # CSP: no inline script
    assert 'style="' not in body
    # The answer played back gets a fresh link when its link has expired.
    assert "js/player.js" in body
    assert 'id="playback" class="room-video small" controls playsinline ' in body
    assert 'preload="metadata" data-player' in body


def test_room_after_the_window_says_it_closed_and_changes_nothing(
    student_client, student
):
    start = timezone.now() - timedelta(hours=3)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)

    response = _room(student_client, interview)

    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED  # a GET changes nothing
    assert "The room has closed" in response.content.decode()
    assert not interview.events.filter(to_status=RequestStatus.MISSED).exists()


def test_room_of_a_fully_answered_interview_is_not_completed_by_a_get(
    student_client, student
):
    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=interview.course.questions.get())

    _room(student_client, interview)

    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED


def test_missed_interview_shows_the_missed_page(student_client, student):
    start = timezone.now() - timedelta(hours=3)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)
    assert interview.mark_missed()

    response = _room(student_client, interview)

    assert "You missed this interview" in response.content.decode()


def test_completed_interview_shows_the_confirmation(student_client, student):
    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=interview.course.questions.get())
    interview.complete()

    response = _room(student_client, interview)

    assert "Interview completed" in response.content.decode()


def test_consent_is_recorded_only_inside_the_window(student_client, student):
    interview = open_interview(student, consent=False)

    response = student_client.post(
        reverse("interviews:consent", args=[interview.public_id]),
        headers={"Accept": "application/json"},
    )

    assert response.json() == {"consent_given": True}
    interview.refresh_from_db()
    assert interview.consent_given_at is not None


def test_consent_outside_the_window_is_not_recorded(student_client, student):
    start = timezone.now() + timedelta(days=1)
    interview = open_interview(
        student, consent=False, preferred_at=start, scheduled_at=start
    )

    student_client.post(reverse("interviews:consent", args=[interview.public_id]))

    interview.refresh_from_db()
    assert interview.consent_given_at is None


def test_consent_requires_post(student_client, student):
    interview = open_interview(student, consent=False)

    response = student_client.get(
        reverse("interviews:consent", args=[interview.public_id])
    )

    assert response.status_code == 405


def test_room_state_resumes_after_a_partial_interview(student_client, student):
    interview = open_interview(student, questions=3)
    first, second, third = interview.course.questions.order_by("order")
    AnswerFactory(request=interview, question=first)

    state = student_client.get(
        reverse("interviews:room_state", args=[interview.public_id])
    ).json()

    assert [q["public_id"] for q in state["questions"]] == [
        str(first.public_id),
        str(second.public_id),
        str(third.public_id),
    ]
    assert [q["answered"] for q in state["questions"]] == [True, False, False]
    assert state["consent_given"] is True
    assert state["retakes"] == settings.INTERVIEW_RETAKES
    assert state["max_bytes"] == settings.ANSWER_MAX_BYTES
    assert state["questions"][1]["max_answer_seconds"] == second.max_answer_seconds


def test_room_state_is_only_for_the_owner(client, student, other_student):
    interview = open_interview(student)
    client.force_login(other_student)

    response = client.get(reverse("interviews:room_state", args=[interview.public_id]))

    assert response.status_code == 404


def test_room_state_queries_do_not_grow_with_questions(
    student_client, student, django_assert_max_num_queries
):
    interview = open_interview(student, questions=8)
    url = reverse("interviews:room_state", args=[interview.public_id])
    student_client.get(url)  # the first request also saves the session

    # session and user (from the cache), interview, answers, questions.
    with django_assert_max_num_queries(5):
        student_client.get(url)


def test_room_of_a_pending_request_says_it_is_not_scheduled(student_client, student):
    interview = open_interview(student)
    InterviewRequest.objects.filter(pk=interview.pk).update(
        status=RequestStatus.PENDING, scheduled_at=None
    )

    response = _room(student_client, interview)

    assert "This interview is not scheduled" in response.content.decode()


def test_room_page_queries_do_not_grow_with_answers(
    student_client, student, django_assert_max_num_queries
):
    interview = open_interview(student, questions=6)
    for question in list(interview.course.questions.all())[:5]:
        AnswerFactory(request=interview, question=question)
    _room(student_client, interview)  # the first request also saves the session

    with django_assert_max_num_queries(8):
        _room(student_client, interview)
