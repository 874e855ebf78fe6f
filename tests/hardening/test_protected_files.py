"""Private files behind nginx (issue 15): the permission-checked view answers
with X-Accel-Redirect (MEDIA_ACCEL_REDIRECT) and nginx sends the bytes from its
internal /_protected/ location, Range requests included; that location cannot
be asked for from outside."""

import json
import shutil
import time

import pytest

from tests.hardening import site

pytestmark = pytest.mark.load
NGINX_PORT, APP_PORT = 5161, 5162
BODY_SIZE = 300_000


def build():
    """Run inside the site: an answer and a proof of one student, sessions for
    the student, another student and an approver."""
    from accounts.factories import UserFactory
    from accounts.roles import make_approver
    from interviews.factories import AnswerFactory, webm_bytes
    from payments.factories import PaymentFactory
    from tests.hardening.scenes import session_for

    owner = UserFactory(username="files-owner")
    answer = AnswerFactory(request__student=owner, video_bytes=webm_bytes(BODY_SIZE))
    payment = PaymentFactory(student=owner)
    with answer.file.open("rb") as video, payment.proof.open("rb") as proof:
        video_bytes, proof_bytes = video.read(), proof.read()
    out = {
        "answer": str(answer.public_id),
        "file": answer.file.name,
        "video": video_bytes.hex(),
        "payment": str(payment.public_id),
        "proof": proof_bytes.hex(),
        "owner": session_for(owner),
        "other": session_for(UserFactory(username="files-other")),
        "approver": session_for(make_approver(UserFactory(username="files-approver"))),
    }
    print("RESULT " + json.dumps(out))


@pytest.fixture(scope="module")
def front(site_env):
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (apt-get install -y nginx)")
    env = {
        **site_env.env,
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "TRUSTED_PROXY_IPS": "127.0.0.1",
        "MEDIA_ACCEL_REDIRECT": "True",
    }
    scene = site.run_python(
        env, "from tests.hardening.test_protected_files import build; build()"
    )
    log = site_env.workdir / "files-gunicorn.log"
    gunicorn = site.Gunicorn(env, APP_PORT, log).start()
    nginx = site.start_nginx(
        env, NGINX_PORT, [f"127.0.0.1:{APP_PORT}"], site_env.workdir / "files-nginx"
    )
    try:
        yield scene, log
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        gunicorn.terminate()


def _video(scene, who, headers=None):
    path = f"/answers/{scene['answer']}/video/"
    return site.request(NGINX_PORT, "GET", path, headers=headers, session=scene[who])


def test_an_approver_gets_the_recording_from_nginx_with_ranges(front):
    scene, log = front
    video = bytes.fromhex(scene["video"])

    status, headers, body = _video(scene, "approver")
    assert status == 200
    assert body == video
    assert headers["Content-Type"] == "video/webm"
    assert "X-Accel-Redirect" not in headers
    assert headers["Cache-Control"] == "private, no-store"
    # Sent by nginx from the disk: Django's streaming view sets no ETag.
    assert headers["Server"] == "nginx" and "ETag" in headers

    status, headers, body = _video(scene, "approver", {"Range": "bytes=100-199"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 100-199/{len(video)}"
    assert body == video[100:200]
    # The app answered (the permission check), with no body of its own.
    time.sleep(0.5)
    assert f"/answers/{scene['answer']}/video/" in log.read_text()


def test_the_owner_gets_their_proof_from_nginx(front):
    scene, _ = front
    path = f"/payments/{scene['payment']}/proof/"

    status, headers, body = site.request(
        NGINX_PORT, "GET", path, session=scene["owner"]
    )

    assert status == 200
    assert body == bytes.fromhex(scene["proof"])
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "ETag" in headers


def test_another_student_gets_404(front):
    scene, _ = front

    status, headers, body = _video(scene, "other")

    assert status == 404
    assert bytes.fromhex(scene["video"])[:64] not in body


def test_the_protected_location_is_not_reachable_from_outside(front):
    scene, _ = front

    status, _, body = site.request(
        NGINX_PORT, "GET", f"/_protected/{scene['file']}", session=scene["approver"]
    )

    assert status == 404
    assert bytes.fromhex(scene["video"])[:64] not in body
