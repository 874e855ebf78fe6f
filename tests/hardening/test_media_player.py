"""A real browser's player and a recording's short-lived link (issue 15).

Chromium follows the view's 302 once and sends every later Range request to the
link (as it does for S3's presigned URLs), so once the link has expired a seek
fails with a network error. static/js/player.js asks the view again and resumes
where the player was. Here behind real nginx and gunicorn, with links that live
three seconds; the pages are the player alone, with and without player.js,
served by nginx beside the site (the same origin, as the real pages are)."""

import shutil
import subprocess
import time

import pytest

from tests.hardening import site

pytestmark = pytest.mark.load
NGINX_PORT, APP_PORT = 5171, 5172
LINK_SECONDS = 3


def build(video_path):
    """Run inside the site: an answer with a real, seekable recording, and an
    approver's session."""
    import json
    from pathlib import Path

    from accounts.factories import UserFactory
    from accounts.roles import make_approver
    from interviews.factories import AnswerFactory
    from tests.hardening.scenes import session_for

    answer = AnswerFactory(video_bytes=Path(video_path).read_bytes())
    approver = make_approver(UserFactory(username="player-approver"))
    out = {"answer": str(answer.public_id), "approver": session_for(approver)}
    print("RESULT " + json.dumps(out))


def _page(workdir, name, answer, script):
    page = workdir / name
    tag = '<script src="/static/js/player.js"></script>' if script else ""
    page.write_text(
        "<!doctype html><title>player</title>"
        f'<video data-player preload="metadata" muted src="/answers/{answer}/video/">'
        f"</video>{tag}"
    )
    return page


@pytest.fixture(scope="module")
def player(site_env, tmp_path_factory):
    for tool in ("nginx", "ffmpeg"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (apt-get install -y {tool})")
    playwright = pytest.importorskip("playwright.sync_api")
    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

    workdir = tmp_path_factory.mktemp("player")
    # 20 s of noise at 3 Mbit/s (about 7 MB): more than a player reads ahead
    # for preload="metadata", so a seek needs a new Range request.
    video = workdir / "answer.webm"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=size=320x180:rate=25", "-t", "20", "-vf", "noise=alls=60:allf=t",
         "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
         "-b:v", "3M", "-minrate", "3M", "-maxrate", "3M", "-bufsize", "1M",
         "-g", "25", str(video)],
        check=True,
        timeout=120,
    )  # fmt: skip
    env = {
        **site_env.env,
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "TRUSTED_PROXY_IPS": "127.0.0.1",
        "MEDIA_ACCEL_REDIRECT": "True",
        "MEDIA_URL_EXPIRE_SECONDS": str(LINK_SECONDS),
    }
    scene = site.run_python(
        env,
        f"from tests.hardening.test_media_player import build; build({str(video)!r})",
    )
    pages = {
        "with": _page(workdir, "with.html", scene["answer"], script=True),
        "without": _page(workdir, "without.html", scene["answer"], script=False),
    }

    def serve_pages(text):
        locations = "".join(
            f"        location = /player-{key}.html {{ alias {path}; }}\n"
            for key, path in pages.items()
        )
        return text.replace("        location / {", locations + "        location / {")

    log = site_env.workdir / "player-gunicorn.log"
    gunicorn = site.Gunicorn(env, APP_PORT, log).start()
    nginx = site.start_nginx(
        env,
        NGINX_PORT,
        [f"127.0.0.1:{APP_PORT}"],
        site_env.workdir / "player-nginx",
        edit=serve_pages,
    )
    browser_tool = playwright.sync_playwright().start()
    browser = browser_tool.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser, scene, log
    finally:
        browser.close()
        browser_tool.stop()
        nginx.terminate()
        nginx.wait(timeout=10)
        gunicorn.terminate()


def _open_after_the_link_expired(browser, scene, page_name):
    """The player's page opened, left until its link expired, then seeked."""
    base = f"http://127.0.0.1:{NGINX_PORT}"
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": scene["approver"], "url": base}]
    )
    page = context.new_page()
    page.goto(f"{base}/player-{page_name}.html")
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    time.sleep(LINK_SECONDS + 1.5)
    page.evaluate(
        "() => { const v = document.querySelector('video'); v.currentTime = 15; }"
    )
    return context, page


def _view_requests(log, scene):
    time.sleep(0.5)
    return log.read_text().count(f"/answers/{scene['answer']}/video/")


def test_without_player_js_a_seek_after_the_link_expired_fails(player):
    browser, scene, log = player
    before = _view_requests(log, scene)

    context, page = _open_after_the_link_expired(browser, scene, "without")
    try:
        page.wait_for_function(
            "document.querySelector('video').error !== null", timeout=15_000
        )
        code = page.evaluate("document.querySelector('video').error.code")
    finally:
        context.close()

    assert code == 2  # MEDIA_ERR_NETWORK: nginx answered 410
    assert _view_requests(log, scene) - before == 1  # the view once, then the link


def test_player_js_asks_the_view_again_and_resumes_where_it_was(player):
    browser, scene, log = player
    before = _view_requests(log, scene)

    context, page = _open_after_the_link_expired(browser, scene, "with")
    try:
        page.wait_for_function(
            "(() => { const v = document.querySelector('video');"
            " return v.readyState >= 3 && v.currentTime >= 14.9; })()",
            timeout=15_000,
        )
        error = page.evaluate("document.querySelector('video').error")
    finally:
        context.close()

    assert error is None
    assert _view_requests(log, scene) - before == 2  # a fresh link, once
