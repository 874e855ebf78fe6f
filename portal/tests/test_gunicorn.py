"""gunicorn.conf.py, with a real gunicorn: forwarded headers are believed only when
the site trusts its proxy (SECURE_PROXY_SSL_HEADER)."""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """Start gunicorn with the site's config and these settings; stop it after."""
    started = []

    def start(**settings):
        port = _free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SECURE_", "DJANGO_SETTINGS", "FORWARDED"))
            and k not in {"TRUSTED_PROXY_IPS"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DJANGO_READ_DOT_ENV_FILE="False",
            DEBUG="False",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            SECURE_SSL_REDIRECT="False",
            SECURE_HSTS_SECONDS="31536000",
            PORT=str(port),
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="1",
            **settings,
        )
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "portal.wsgi:application",
                "-c",
                "gunicorn.conf.py",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return port
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def _get_as_if_https(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/ping", headers={"X-Forwarded-Proto": "https"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_x_forwarded_proto_from_loopback_is_ignored_without_the_setting(gunicorn):
    port = gunicorn()
    response = _get_as_if_https(port)
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") is None


def test_x_forwarded_proto_from_the_trusted_proxy_counts_with_the_setting(gunicorn):
    port = gunicorn(SECURE_PROXY_SSL_HEADER="True", TRUSTED_PROXY_IPS="127.0.0.1")
    response = _get_as_if_https(port)
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security")


def test_a_400_mb_login_post_is_refused_before_its_body_is_sent(gunicorn):
    """The 413 comes back after the headers alone: gunicorn and Django read none of
    the 400 MB first. (JSON: this checkout's static files are not collected, and
    the page's stylesheet link needs them.)"""
    port = gunicorn()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Accept: application/json\r\n"
            b"Content-Length: 419430400\r\n\r\n--x\r\n"
        )
        status_line = sock.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 413")
