"""Faults injected into a running site (gunicorn 3x4 on PostgreSQL): a SIGTERM
under load, answer chunks cut off by the client or by a killed worker, and the database
going away and coming back. Nothing acknowledged is lost, nothing half-done stays."""

import json
import os
import signal
import socket
import threading
import time

import pytest

from interviews.factories import webm_bytes
from tests.hardening import site

pytestmark = pytest.mark.load
PORT, PROXIED_PORT = 8151, 8152
FIGURES = {}


@pytest.fixture(scope="module")
def faults(site_env):
    scene = site.run_python(
        site_env.env, "from tests.hardening.scenes import build_faults; build_faults()"
    )
    yield scene
    report = site_env.workdir.parent / "hardening-figures.json"
    report.write_text(json.dumps(FIGURES, indent=1))
    print("\nhardening figures:", json.dumps(FIGURES))


def _counts(site_env):
    return site.run_python(
        site_env.env, "from tests.hardening.scenes import fault_counts; fault_counts()"
    )


@pytest.fixture
def server(site_env):
    gunicorn = site.Gunicorn(site_env.env, PORT, site_env.workdir / "gunicorn.log")
    gunicorn.start()
    yield gunicorn
    gunicorn.terminate()


def _signup(port, username):
    body, headers = site.form(
        {
            "username": username,
            "full_name": "Load Test",
            "email": f"{username}@example.com",
            "phone": "9876543210",
            "password1": "Load-Test-Pass-2026!",
            "password2": "Load-Test-Pass-2026!",
        }
    )
    return site.request(port, "POST", "/accounts/signup/", body, headers, timeout=30)


def test_sigterm_under_load_loses_no_acknowledged_request(server, site_env, faults):
    stop = threading.Event()
    log = []  # (username, outcome, finished_at)
    lock = threading.Lock()

    def client(n):
        i = 0
        refused = 0
        while not stop.is_set() and refused < 3:
            username = f"load-{n}-{i}"
            i += 1
            try:
                status, _, _ = _signup(PORT, username)
                outcome = status
            except (ConnectionError, OSError) as error:
                outcome = type(error).__name__
                refused += isinstance(error, ConnectionRefusedError)
            with lock:
                log.append((username, outcome, time.monotonic()))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    signalled_at = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_code = server.wait()
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert exit_code == 0  # a graceful stop
    statuses = [outcome for _, outcome, _ in log if isinstance(outcome, int)]
    errors = [outcome for _, outcome, _ in log if not isinstance(outcome, int)]
    assert statuses, "no request got through before the signal"
    assert not [s for s in statuses if s >= 500], statuses
    acknowledged = [name for name, outcome, _ in log if outcome == 302]
    users = set(_counts(site_env)["usernames"])
    lost = [name for name in acknowledged if name not in users]
    assert not lost, f"acknowledged sign-ups missing after the stop: {lost}"
    # Failures are refused or reset connections (queued in the kernel when the
    # workers closed their listener, never read), never a half-sent answer.
    assert set(errors) <= {
        "ConnectionRefusedError",
        "ConnectionResetError",
        "RemoteDisconnected",
    }, errors
    unacknowledged = [name for name, outcome, _ in log if outcome != 302]
    done_anyway = [name for name in unacknowledged if name in users]
    FIGURES["sigterm"] = {
        "requests": len(log),
        "acknowledged": len(acknowledged),
        "completed_after_sigterm": sum(
            1 for _, o, t in log if o == 302 and t > signalled_at
        ),
        "refused_or_reset": len(errors),
        "saved_but_not_acknowledged": len(done_anyway),
        "lost": len(lost),
        "server_errors": 0,
    }


def _start_partial_chunk(session, interview, question, offset, total, sent):
    """A chunk whose client sends `sent` of the `total` bytes it declared."""
    sock = socket.create_connection(("127.0.0.1", PORT))
    head = (
        f"POST /interviews/{interview}/answers/{question}/chunks/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        f"Accept: application/json\r\nContent-Length: {total}\r\n"
        f"X-Attempt: 1\r\nX-Offset: {offset}\r\nX-Chunk-SHA256: {'0' * 64}\r\n"
        f"X-CSRFToken: {site.CSRF}\r\n"
        f"Cookie: csrftoken={site.CSRF}; sessionid={session}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"\x55" * sent)
    # Time for a worker to take the request and start reading its body.
    time.sleep(1)
    return sock


def _wait_for(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _answer_files(site_env):
    folder = site_env.workdir / "media" / "private" / "answers"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _held(session, interview, question):
    """How many bytes of the answer the server says it holds (the room asks
    this after a reload)."""
    status, _, body = site.request(
        PORT, "GET", f"/interviews/{interview}/room/state/", session=session
    )
    assert status == 200, body
    states = json.loads(body)["questions"]
    return next(q for q in states if q["public_id"] == question)["bytes_received"]


def _resume(session, interview, question, head, tail):
    """What the room does next: the chunk again from the server's offset, then
    the finish."""
    status, _, body = site.post_chunk(
        PORT, session, interview, question, tail, offset=len(head)
    )
    assert status == 201, body
    status, _, body = site.finish_answer(
        PORT, session, interview, question, len(head) + len(tail)
    )
    assert status == 200, body


def _a_take_under_way(site_env, session, interview, question):
    files_before = set(_answer_files(site_env))
    head = webm_bytes(100 * 1024)
    status, _, body = site.post_chunk(PORT, session, interview, question, head)
    assert status == 201, body
    (new,) = set(_answer_files(site_env)) - files_before
    return head, new


def test_a_chunk_cut_off_by_the_client_leaves_the_take_as_it_was(
    server, site_env, faults
):
    session, interview = faults["recorder"], faults["interview"]
    question = faults["questions"][0]
    head, path = _a_take_under_way(site_env, session, interview, question)
    tail = b"\x55" * 1_500_000
    sock = _start_partial_chunk(
        session, interview, question, len(head), len(tail), sent=300_000
    )
    sock.close()  # the student's connection goes mid-chunk
    assert _wait_for(lambda: _ping(PORT) == 200)
    assert _held(session, interview, question) == len(head)
    assert path.read_bytes() == head
    # The room sends the chunk again; the answer is whole, and only once.
    _resume(session, interview, question, head, tail)
    assert path.read_bytes() == head + tail
    FIGURES["client_disconnect"] = {"bytes_kept_of_the_cut_chunk": 0}


def test_a_chunk_whose_worker_is_killed_is_sent_again_and_completes(
    server, site_env, faults
):
    session, interview = faults["recorder"], faults["interview"]
    question = faults["questions"][1]
    head, path = _a_take_under_way(site_env, session, interview, question)
    tail = b"\x66" * 1_500_000
    sock = _start_partial_chunk(
        session, interview, question, len(head), len(tail), sent=300_000
    )
    workers = server.workers()
    for pid in workers:  # our own gunicorn's workers, by id
        os.kill(pid, signal.SIGKILL)
    sock.close()
    assert _wait_for(lambda: set(server.workers()) - set(workers), 20)
    assert _wait_for(lambda: _ping(PORT) == 200, 20)

    assert _held(session, interview, question) == len(head)
    assert path.read_bytes() == head
    _resume(session, interview, question, head, tail)
    assert path.read_bytes() == head + tail
    out = site.manage(site_env.env, "check_media", "--min-age-minutes", "0")
    assert "Media and records match." in out
    FIGURES["worker_killed"] = {
        "workers_killed": len(workers),
        "bytes_kept_of_the_cut_chunk": 0,
        "check_media": out.strip().splitlines()[-1],
    }


def _ping(port):
    try:
        return site.request(port, "GET", "/ping", timeout=3)[0]
    except OSError:
        return None


def test_the_database_going_away_and_coming_back(site_env, faults):
    proxy = site.TcpProxy().start()
    env = site.base_env(site_env.workdir, site_env.database, db_port=proxy.port)
    env["SECRET_KEY"] = site_env.env["SECRET_KEY"]
    gunicorn = site.Gunicorn(env, PROXIED_PORT, site_env.workdir / "proxied.log")
    gunicorn.start()
    session = faults["recorder"]
    try:
        assert site.request(PROXIED_PORT, "GET", "/health")[0] == 200
        assert site.request(PROXIED_PORT, "GET", "/", session=session)[0] == 200

        proxy.cut()
        status, _, body = site.request(PROXIED_PORT, "GET", "/health")
        assert status == 503
        assert json.loads(body)["database"]["status"] == "unavailable"
        status, _, body = site.request(PROXIED_PORT, "GET", "/", session=session)
        assert status == 500
        assert b"Something went wrong on our side" in body
        assert b"Traceback" not in body
        # Pages that need no database still work.
        assert site.request(PROXIED_PORT, "GET", "/accounts/login/")[0] == 200

        proxy.restore()
        assert _wait_for(
            lambda: site.request(PROXIED_PORT, "GET", "/health")[0] == 200, 15
        )
        assert site.request(PROXIED_PORT, "GET", "/", session=session)[0] == 200
        assert gunicorn.process.poll() is None  # it never died
    finally:
        proxy.cut()
        gunicorn.terminate()
    FIGURES["database_outage"] = {
        "health_503": True,
        "friendly_500": True,
        "recovered": True,
    }
