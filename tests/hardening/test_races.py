"""N clients at once against gunicorn (3 workers x 4 threads) on PostgreSQL: every
race ends with exactly one transition or record, and exactly one email."""

import json

import pytest

from interviews.factories import webm_bytes
from payments.factories import png_bytes
from tests.hardening import site
from tests.hardening.conftest import counts

pytestmark = pytest.mark.load
CLIENTS = 8
PORT = 8150


@pytest.fixture(scope="module")
def server(site_env, scene):
    gunicorn = site.Gunicorn(site_env.env, PORT, site_env.workdir / "gunicorn.log")
    worker = site.Worker(site_env.env, site_env.workdir / "worker.log").start()
    gunicorn.start()
    try:
        yield gunicorn
        assert gunicorn.terminate() == 0
    finally:
        worker.terminate()


def _statuses(results):
    assert not [r for r in results if isinstance(r, Exception)], results
    return sorted(status for status, _, _ in results)


def test_approvers_approving_one_payment_at_once_approve_it_once(
    server, site_env, scene
):
    path = f"/admin/payments/payment/{scene['pending_payment']}/approve/"
    body, headers = site.form({"remarks": "ok"})
    results = site.at_once(
        CLIENTS,
        lambda i: site.request(
            PORT, "POST", path, body, headers, session=scene["approver"]
        ),
    )
    assert _statuses(results) == [302] * CLIENTS
    course = counts(site_env)["by_course"]["Approve race"]
    assert course["completed"] == 1
    assert course["approvals"] == 1
    assert len(site.emails_sent(site_env.workdir, "verified: Approve race")) == 1


def test_a_double_submitted_payment_is_saved_once(server, site_env, scene):
    path = f"/courses/{scene['pay_course']}/pay/"
    proof = png_bytes()

    def submit(i):
        body, headers = site.multipart(
            {"utr": "512345678901"},
            {"screenshot": ("proof.png", proof, "image/png")},
        )
        return site.request(PORT, "POST", path, body, headers, session=scene["payer"])

    results = site.at_once(CLIENTS, submit)
    statuses = _statuses(results)
    assert all(status in (200, 302) for status in statuses), statuses
    assert counts(site_env)["by_course"]["Pay race"]["payments"] == 1
    # Every file on disk belongs to a row: the losers' files were removed.
    out = site.manage(site_env.env, "check_media", "--min-age-minutes", "0")
    assert "Media and records match." in out


def test_a_double_submitted_slot_request_is_saved_once(server, site_env, scene):
    path = f"/courses/{scene['request_course']}/request/"
    body, headers = site.form({**scene["slot"], "notes": "twice"})
    results = site.at_once(
        CLIENTS,
        lambda i: site.request(
            PORT, "POST", path, body, headers, session=scene["requester"]
        ),
    )
    statuses = _statuses(results)
    assert all(status in (200, 302) for status in statuses), statuses
    assert counts(site_env)["by_course"]["Request race"]["requests"] == 1


def test_approvers_scheduling_one_request_at_once_schedule_it_once(
    server, site_env, scene
):
    path = f"/admin/interviews/interviewrequest/{scene['pending_request']}/change/"
    body, headers = site.form(
        {
            "_schedule": "1",
            "schedule-date": scene["slot"]["date"],
            "schedule-time": "11:00",
            "schedule-message": "See you",
            "schedule-confirm_overlap": "on",
        }
    )
    results = site.at_once(
        CLIENTS,
        lambda i: site.request(
            PORT, "POST", path, body, headers, session=scene["approver"]
        ),
    )
    assert _statuses(results) == [302] * CLIENTS
    assert counts(site_env)["by_course"]["Schedule race"]["scheduled"] == 1
    assert (
        len(site.emails_sent(site_env.workdir, "Schedule race interview is sched")) == 1
    )


def test_an_answer_sent_from_several_tabs_at_once_is_stored_once(
    server, site_env, scene
):
    video = webm_bytes(256 * 1024)
    results = site.at_once(
        CLIENTS,
        lambda i: site.send_answer(
            PORT, scene["recorder"], scene["interview"], scene["question"], video
        ),
    )
    statuses = _statuses(results)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409}, statuses
    refusals = {
        json.loads(body)["code"] for status, _, body in results if status != 200
    }
    assert refusals <= {"already_submitted"}, refusals
    assert counts(site_env)["by_course"]["Upload race"]["answers"] == 1
    out = site.manage(site_env.env, "check_media", "--min-age-minutes", "0")
    assert "Media and records match." in out
    assert list((site_env.workdir / "upload-tmp").iterdir()) == []
    # The answer completed the interview: the approver is told once.
    assert len(site.emails_sent(site_env.workdir, "finished the Upload race")) == 1
