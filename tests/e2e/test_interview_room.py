"""The interview room with the fake camera: retakes, and coming back after a reload."""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interviews.factories import (
    InterviewCourseFactory,
    InterviewQuestionFactory,
    ScheduledRequestFactory,
)
from interviews.models import Answer, AnswerState, RequestStatus
from interviews.tasks import process_answer
from tests.e2e.browser import DESKTOP, ROOT, TIMEOUT_MS, log_in_context
from tests.e2e.conftest import BrowserProblems, save_failure_screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("immediate_tasks")]


@pytest.fixture
def interview(student):
    course = InterviewCourseFactory(title="Sales Executive", slug="sales")
    for order, text in enumerate(["Sell me this pen.", "Why sales?"], start=1):
        InterviewQuestionFactory(
            course=course,
            text=text,
            order=order,
            preparation_seconds=1,
            max_answer_seconds=10,
        )
    return ScheduledRequestFactory(student=student, course=course)


def record_for_a_moment(page):
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    page.wait_for_timeout(1000)
    stop.click()
    expect(page.get_by_role("button", name="Submit answer")).to_be_visible()


def test_a_student_retakes_an_answer_and_resumes_after_a_reload(page_as, interview):
    page = page_as(interview.student)
    page.goto(f"/interviews/{interview.public_id}/room/")
    page.get_by_role("button", name="My camera and microphone work").click()
    page.get_by_role("button", name="I agree, start the interview").click()

    # Question 1: a preparation countdown, a first take, then a retake.
    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    expect(page.get_by_text("Sell me this pen.")).to_be_visible()
    record_for_a_moment(page)
    expect(page.get_by_text("You can retake this answer 1 more time.")).to_be_visible()
    page.get_by_role("button", name="Retake").click()
    record_for_a_moment(page)
    expect(page.get_by_role("button", name="Retake")).to_be_hidden()
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()
    assert interview.answers.count() == 1

    # The browser closes mid-interview; back in the room, question 2 is next and
    # the consent already given is not asked again.
    page.reload()
    page.get_by_role("button", name="My camera and microphone work").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()
    expect(page.get_by_text("Why sales?")).to_be_visible()
    record_for_a_moment(page)
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_role("heading", name="Interview completed")).to_be_visible()

    interview.refresh_from_db()
    assert interview.status == RequestStatus.COMPLETED
    assert interview.completed_at <= timezone.now()
    assert sorted(a.question.text for a in interview.answers.all()) == [
        "Sell me this pen.",
        "Why sales?",
    ]


# ---- Resumable answers (issue 14) ----


def _answer_of(interview, text):
    return Answer.objects.filter(request=interview, question__text=text).first()


def wait_until(check, seconds=15):
    """Poll the database from the test thread until `check()` is truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the server")


def enter_the_room(page, interview):
    page.goto(f"/interviews/{interview.public_id}/room/")
    page.get_by_role("button", name="My camera and microphone work").click()
    consent = page.get_by_role("button", name="I agree, start the interview")
    if interview.consent_given_at is None:
        consent.click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()


def test_an_answer_uploads_while_it_is_recorded_and_survives_a_drop(page_as, interview):
    page = page_as(interview.student)
    enter_the_room(page, interview)

    # The first slice reaches the server while the student is still speaking.
    received = wait_until(
        lambda: (a := _answer_of(interview, "Sell me this pen.")) and a.bytes_received
    )
    assert _answer_of(interview, "Sell me this pen.").state == AnswerState.RECORDING

    # The network goes for a few seconds; recording goes on.
    page.context.set_offline(True)
    expect(page.get_by_text("Reconnecting — your answer is safe")).to_be_visible()
    page.wait_for_timeout(1500)
    page.context.set_offline(False)
    expect(page.get_by_text("Reconnecting — your answer is safe")).to_be_hidden()
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()

    answer = _answer_of(interview, "Sell me this pen.")
    assert answer.attempt == 1
    assert answer.bytes_received > received
    # Every byte arrived once, in order: ffprobe reads the whole answer.
    assert answer.state == AnswerState.PROCESSED, answer.processing_error
    assert answer.duration_seconds > 4


def test_a_reload_mid_answer_resumes_it_and_keeps_the_retake_count(page_as, interview):
    page = page_as(interview.student)
    enter_the_room(page, interview)
    wait_until(lambda: _answer_of(interview, "Sell me this pen."))
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("You can retake this answer 1 more time.")).to_be_visible()
    page.get_by_role("button", name="Retake").click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    wait_until(lambda: _answer_of(interview, "Sell me this pen.").attempt == 2)

    # The tab is reloaded in the middle of the retake.
    page.reload()
    page.get_by_role("button", name="My camera and microphone work").click()
    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    expect(page.get_by_role("button", name="Continue with this answer")).to_be_visible()
    expect(
        page.get_by_text("No retakes left: continue with this answer.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Retake")).to_be_hidden()
    page.get_by_role("button", name="Continue with this answer").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()

    answer = _answer_of(interview, "Sell me this pen.")
    assert answer.attempt == 2
    assert answer.state in (AnswerState.PROCESSED, AnswerState.FAILED)
    assert answer.state == AnswerState.PROCESSED, answer.processing_error


# ---- A server restart mid-answer (issue 14) ----


class Site:
    """The site in a gunicorn of its own on the test's database and media
    folder, so that the test can kill it and start it again on the same port
    while the browser records (pytest-django's live server lives in the test's
    own process and cannot be restarted)."""

    def __init__(self, port, folder):
        from django.conf import settings

        from portal.tests.queue_helpers import database_url

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = folder / "gunicorn.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "tests.e2e.site_settings",
            "DATABASE_URL": database_url(),
            "E2E_SITE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "TASK_QUEUE_URL": f"sqlite:///{folder / 'tasks.sqlite3'}",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "LOG_LEVEL": "warning",
        }
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi:application"]
            + ["-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )
        wait_until(self._answers_ping, seconds=60)
        return self

    def _answers_ping(self):
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def kill(self):
        """A crash: the master and its worker die at once, mid-request."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait(timeout=20)


def _free_port():
    for port in range(8700, 8800):  # the port range of this test run
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 8700-8799")


@pytest.fixture
def site(transactional_db, tmp_path):
    running = Site(_free_port(), tmp_path)
    yield running.start()
    running.kill()


@pytest.fixture
def long_interview(student):
    course = InterviewCourseFactory(title="Support Engineer", slug="support")
    for order, text in enumerate(["Tell us about an outage.", "Why us?"], start=1):
        InterviewQuestionFactory(
            course=course,
            text=text,
            order=order,
            preparation_seconds=1,
            max_answer_seconds=90,
        )
    return ScheduledRequestFactory(student=student, course=course)


# Keeps every slice the page's MediaRecorders produce, for the test to compare
# with what the server stored (the room itself lets each go once sent).
KEEP_RECORDED_SLICES = """
window.recordedSlices = [];
window.MediaRecorder = class extends window.MediaRecorder {
  constructor(...args) {
    super(...args);
    this.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) window.recordedSlices.push(event.data);
    });
  }
};
"""

RECORDED_DIGEST = """async () => {
  const whole = new Blob(window.recordedSlices);
  const hash = await crypto.subtle.digest("SHA-256", await whole.arrayBuffer());
  const hex = Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0"));
  return [whole.size, hex.join("")];
}"""


def test_an_answer_survives_a_server_restart_mid_answer(
    request, browser, site, long_interview
):
    interview = long_interview
    context = browser.new_context(base_url=site.url, viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    problems = BrowserProblems()
    context.on("page", problems.watch)
    try:
        page = log_in_context(context, interview.student, site.url).new_page()
        page.add_init_script(KEEP_RECORDED_SLICES)
        enter_the_room(page, interview)
        started = time.monotonic()
        text = "Tell us about an outage."
        wait_until(lambda: (a := _answer_of(interview, text)) and a.bytes_received)

        # The server dies while the student speaks, and comes back a few
        # seconds later; the slices recorded meanwhile wait in the browser.
        site.kill()
        expect(page.get_by_text("Reconnecting — your answer is safe")).to_be_visible()
        held = _answer_of(interview, text).bytes_received
        page.wait_for_timeout(3000)
        site.start()
        expect(page.get_by_text("Reconnecting — your answer is safe")).to_be_hidden(
            timeout=30_000
        )
        wait_until(lambda: _answer_of(interview, text).bytes_received > held)
        page.get_by_role("button", name="Stop").click()
        recorded = time.monotonic() - started
        expect(page.get_by_text("Answer saved.")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Submit answer").click()
        expect(page.get_by_text("Question 2 of 2")).to_be_visible(timeout=30_000)
        recorded_size, recorded_digest = page.evaluate(RECORDED_DIGEST)
    except BaseException:
        save_failure_screenshots(request, [context])
        print(site.log.read_text()[-3000:])
        raise
    finally:
        context.close()
    assert not problems.items, "\n".join(problems.items)

    # Never recorded again, and every byte arrived once, in order: the server
    # holds exactly what the browser recorded.
    answer = _answer_of(interview, text)
    assert (answer.attempt, answer.state) == (1, AnswerState.UPLOADED)
    assert answer.size == recorded_size
    with answer.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == recorded_digest
    # And it is a whole recording: the remux reads all of it.
    process_answer(answer.pk)
    answer.refresh_from_db()
    assert answer.state == AnswerState.PROCESSED, answer.processing_error
    assert recorded - 4 < answer.duration_seconds < recorded + 2


# ---- Phones (issue 14, item 5) ----

# Counts the room's wake-lock requests; each still goes to the browser's own.
COUNT_WAKE_LOCKS = """
window.wakeLockRequests = 0;
if (navigator.wakeLock) {
  const request = navigator.wakeLock.request.bind(navigator.wakeLock);
  navigator.wakeLock.request = (type) => {
    window.wakeLockRequests += 1;
    return request(type);
  };
}
"""

SET_VISIBILITY = """(state) => {
  Object.defineProperty(
    document, "visibilityState", {value: state, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_the_screen_is_kept_on_and_leaving_the_tab_mid_answer_is_warned(
    page_as, interview
):
    page = page_as(interview.student)
    page.add_init_script(COUNT_WAKE_LOCKS)
    enter_the_room(page, interview)
    warning = page.get_by_text("You left this tab while recording.")
    assert page.evaluate("navigator.wakeLock !== undefined")
    assert page.evaluate("window.wakeLockRequests") == 1
    expect(warning).to_be_hidden()

    # The student switches to another app and comes back mid-answer.
    page.evaluate(SET_VISIBILITY, "hidden")
    page.evaluate(SET_VISIBILITY, "visible")

    expect(warning).to_be_visible()
    assert page.evaluate("window.wakeLockRequests") == 2  # taken again
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()
