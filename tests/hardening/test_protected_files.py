"""Private files behind nginx (issue 15): a recording's permission-checked view
answers with a 302 to a short-lived link nginx checks itself (secure_link,
location /_media/; portal/media_links.py), so a player's seeks never reach the
app; other files (proofs) go through X-Accel-Redirect (MEDIA_ACCEL_REDIRECT) and
nginx sends the bytes from its internal /_protected/ location, Range requests
included; that location cannot be asked for from outside."""

import http.client
import json
import shutil
import stat
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

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
    from portal import media_links
    from tests.hardening.scenes import session_for

    owner = UserFactory(username="files-owner")
    answer = AnswerFactory(request__student=owner, video_bytes=webm_bytes(BODY_SIZE))
    second = AnswerFactory(request=answer.request, video_bytes=webm_bytes(2000))
    payment = PaymentFactory(student=owner)
    with answer.file.open("rb") as video, payment.proof.open("rb") as proof:
        video_bytes, proof_bytes = video.read(), proof.read()
    out = {
        "answer": str(answer.public_id),
        "file": answer.file.name,
        "second_file": second.file.name,
        "video": video_bytes.hex(),
        # Made here, by the function the view uses, with the site's secret.
        "expired_link": media_links.signed_link(
            answer.file.name, expires=int(time.time()) - 1
        ),
        "link_in_an_hour": media_links.signed_link(
            answer.file.name, expires=int(time.time()) + 3600
        ),
        "secret": media_links.link_secret(),
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
        yield SimpleNamespace(
            scene=scene,
            log=log,
            conf=site_env.workdir / "files-nginx" / "nginx.conf",
            secret_key=env["SECRET_KEY"],
        )
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        gunicorn.terminate()


def _video(scene, who, headers=None):
    path = f"/answers/{scene['answer']}/video/"
    return site.request(NGINX_PORT, "GET", path, headers=headers, session=scene[who])


def _get(path, headers=None):
    """status, headers as a list (repeated ones kept), body; no cookies, as a
    browser's media request to the link needs none."""
    conn = http.client.HTTPConnection("127.0.0.1", NGINX_PORT, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def _all(headers, name):
    return [value for key, value in headers if key.lower() == name.lower()]


def _with_path(link, path):
    parts = urlsplit(link)
    return f"{path}?{parts.query}"


def test_an_approver_is_sent_to_a_signed_link_nginx_serves_with_ranges(front):
    scene, log = front.scene, front.log
    video = bytes.fromhex(scene["video"])

    status, headers, body = _video(scene, "approver", {"Range": "bytes=0-1"})

    assert status == 302
    link = headers["Location"]
    assert link.startswith(f"/_media/{scene['file']}?md5=")
    assert headers["Cache-Control"] == "private, no-store"
    assert video[:64] not in body

    status, headers, body = _get(link, {"Range": "bytes=100-199"})
    assert status == 206
    assert body == video[100:200]
    assert _all(headers, "Content-Range") == [f"bytes 100-199/{len(video)}"]
    assert _all(headers, "Content-Type") == ["video/webm"]
    assert _all(headers, "Cache-Control") == ["private, no-store"]
    assert _all(headers, "X-Content-Type-Options") == ["nosniff"]
    assert _all(headers, "Server") == ["nginx"]
    names = [name.lower() for name, _ in headers]
    assert len(names) == len(set(names)), names

    status, headers, body = _get(link)
    assert status == 200
    assert body == video
    assert _all(headers, "Accept-Ranges") == ["bytes"]
    # The seeks skipped the app: its log has the view's request, not the link's.
    time.sleep(0.5)
    assert f"/answers/{scene['answer']}/video/" in log.read_text()
    assert "/_media/" not in log.read_text()


def test_a_link_signed_in_python_is_accepted_by_nginx(front):
    scene = front.scene

    status, _, body = _get(scene["link_in_an_hour"], {"Range": "bytes=0-9"})

    assert status == 206
    assert body == bytes.fromhex(scene["video"])[:10]


def test_nginx_refuses_a_tampered_link(front):
    scene = front.scene
    link = scene["link_in_an_hour"]
    md5 = urlsplit(link).query.split("&")[0].removeprefix("md5=")
    tampered = link.replace(md5, ("A" if md5[0] != "A" else "B") + md5[1:])
    later = link.replace("expires=", "expires=1")  # a longer life, same md5

    assert _get(tampered)[0] == 403
    assert _get(later)[0] == 403
    assert _get(link.split("?")[0])[0] == 403  # no md5 at all


def test_nginx_refuses_an_expired_link(front):
    scene = front.scene

    status, _, body = _get(scene["expired_link"])

    assert status == 410
    assert bytes.fromhex(scene["video"])[:64] not in body


def test_a_link_opens_its_own_file_only(front):
    scene = front.scene
    link = scene["link_in_an_hour"]

    assert _get(_with_path(link, f"/_media/{scene['second_file']}"))[0] == 403
    assert _get(_with_path(link, f"/_media/{scene['file']}x"))[0] == 403


def test_the_rendered_config_holds_the_secret_only_in_secure_link(front):
    text = front.conf.read_text()
    secret = front.scene["secret"]

    lines = [line.strip() for line in text.splitlines() if secret in line]
    assert lines == [f'secure_link_md5 "$secure_link_expires$uri {secret}";']
    assert front.secret_key not in text
    assert stat.S_IMODE(front.conf.stat().st_mode) == 0o600


def test_the_owner_gets_their_proof_from_nginx(front):
    scene = front.scene
    path = f"/payments/{scene['payment']}/proof/"
    proof = bytes.fromhex(scene["proof"])

    status, headers, body = site.request(
        NGINX_PORT, "GET", path, session=scene["owner"]
    )

    assert status == 200  # a proof is not linked: it goes through the view
    assert body == proof
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Sent by nginx from the disk: Django's file responses set no ETag.
    assert headers["Server"] == "nginx" and "ETag" in headers

    status, headers, body = site.request(
        NGINX_PORT,
        "GET",
        path,
        headers={"Range": "bytes=10-19"},
        session=scene["owner"],
    )
    assert status == 206
    assert body == proof[10:20]


def test_a_file_through_x_accel_redirect_has_one_cache_control(front):
    scene = front.scene
    cookie = f"sessionid={scene['owner']}"

    status, headers, _ = _get(
        f"/payments/{scene['payment']}/proof/", {"Cookie": cookie}
    )

    assert status == 200
    assert "X-Accel-Redirect" not in dict(headers)
    assert _all(headers, "Cache-Control") == ["private, no-store"]
    assert _all(headers, "X-Content-Type-Options") == ["nosniff"]
    names = [name.lower() for name, _ in headers if name.lower() != "set-cookie"]
    assert len(names) == len(set(names)), names


def test_another_student_gets_404_and_no_link(front):
    scene = front.scene

    status, headers, body = _video(scene, "other")

    assert status == 404
    assert "Location" not in headers
    assert "/_media/" not in body.decode(errors="replace")
    assert bytes.fromhex(scene["video"])[:64] not in body


def test_the_protected_location_is_not_reachable_from_outside(front):
    scene = front.scene

    status, _, body = site.request(
        NGINX_PORT, "GET", f"/_protected/{scene['file']}", session=scene["approver"]
    )

    assert status == 404
    assert bytes.fromhex(scene["video"])[:64] not in body
