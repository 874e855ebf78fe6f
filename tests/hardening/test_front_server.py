"""nginx in front of gunicorn (deploy/nginx.conf.template): slow clients wait on
nginx, not on the app's threads; oversize bodies never reach the app; static
files come from disk. The app server here is deliberately small (one worker,
two threads) so that a handful of slow clients would starve it on its own."""

import shutil
import socket
import threading
import time

import pytest

from tests.hardening import site

pytestmark = pytest.mark.load
NGINX_PORT, APP_PORT = 8161, 8162
HEADER_TIMEOUT = 2


@pytest.fixture(scope="module")
def front(site_env):
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (apt-get install -y nginx)")
    env = {
        **site_env.env,
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "TRUSTED_PROXY_IPS": "127.0.0.1",
    }
    log = site_env.workdir / "front-gunicorn.log"
    gunicorn = site.Gunicorn(env, APP_PORT, log).start()
    try:
        yield from _with_nginx(site_env, env, gunicorn, log)
    finally:
        gunicorn.terminate()


def _with_nginx(site_env, env, gunicorn, log):
    nginx = site.start_nginx(
        env,
        NGINX_PORT,
        [f"127.0.0.1:{APP_PORT}"],
        site_env.workdir / "nginx",
        f"--header-timeout={HEADER_TIMEOUT}",
        f"--body-timeout={HEADER_TIMEOUT}",
        "--connections-per-address=2000",
    )
    try:
        yield gunicorn, log
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


def test_it_serves_the_site_and_static_files_from_disk(front):
    _, log = front
    status, _, body = site.request(NGINX_PORT, "GET", "/health")
    assert status == 200 and b'"ok"' in body
    status, headers, body = site.request(NGINX_PORT, "GET", "/static/css/site.css")
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert body == (site.ROOT / "static/css/site.css").read_bytes()
    time.sleep(0.5)
    assert "/static/css/site.css" not in log.read_text()


def test_an_oversize_body_is_refused_before_the_app_sees_it(front):
    _, log = front
    with socket.create_connection(("127.0.0.1", NGINX_PORT), timeout=10) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 400000000\r\n\r\n"
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    time.sleep(0.5)
    assert "POST /accounts/login/" not in log.read_text()


def test_the_answer_route_takes_one_chunk_and_no_more(front):
    from django.conf import settings

    path = (
        "/interviews/00000000-0000-0000-0000-000000000000/answers/"
        "00000000-0000-0000-0000-000000000000/chunks/"
    )
    chunk = b"x" * settings.ANSWER_CHUNK_MAX_BYTES
    status, _, _ = site.request(
        NGINX_PORT, "POST", path, chunk, {"Content-Type": "application/octet-stream"}
    )
    # Through nginx to the app, which refuses an anonymous chunk itself.
    assert status in (302, 403, 404)
    too_big = chunk + b"x" * (128 * 1024)
    status, _, _ = site.request(
        NGINX_PORT, "POST", path, too_big, {"Content-Type": "application/octet-stream"}
    )
    assert status == 413
    # Elsewhere, a body over the payment form's limit never reaches the app.
    body = b"x" * (8 * 1024 * 1024)
    status, _, _ = site.request(
        NGINX_PORT,
        "POST",
        "/accounts/login/",
        body,
        {"Content-Type": "application/octet-stream"},
    )
    assert status == 413


def _slow_client(stop, closed_after):
    """Send a request line, then one header byte a second until cut off."""
    sock = socket.create_connection(("127.0.0.1", NGINX_PORT), timeout=30)
    started = time.monotonic()
    try:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.settimeout(1)
        while not stop.is_set():
            try:
                sock.sendall(b"X")
                sock.recv(1024)  # a 408, or b"" once nginx closes
                break
            except TimeoutError:
                continue  # still connected: drip the next byte
            except OSError:
                break
        closed_after.append(time.monotonic() - started)
    finally:
        sock.close()


def test_slow_header_clients_neither_starve_the_app_nor_stay_connected(front):
    stop = threading.Event()
    closed_after = []
    clients = [
        threading.Thread(target=_slow_client, args=(stop, closed_after))
        for _ in range(60)
    ]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)
        probes = []
        for _ in range(20):
            began = time.monotonic()
            status = site.request(NGINX_PORT, "GET", "/ping", timeout=5)[0]
            probes.append((status, time.monotonic() - began))
        assert all(status == 200 for status, _ in probes), probes
        assert max(seconds for _, seconds in probes) < 2, probes
    finally:
        for client in clients:
            client.join(timeout=HEADER_TIMEOUT * 6)
        stop.set()
    # nginx cut every dripping client off at its header timeout.
    assert len(closed_after) == 60
    assert max(closed_after) < HEADER_TIMEOUT * 5, sorted(closed_after)[-5:]
