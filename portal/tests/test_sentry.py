"""SENTRY_DSN sends errors to Sentry (issue 12, finding 12), without personal
data: the site runs in a subprocess with the DSN pointing at a local server that
accepts Sentry envelopes, a view fails, and the envelope that arrives is read."""

import gzip
import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
SENTRY_PORT = 8602  # this branch's port range

PASSWORD = "hunter2-Password-Typed"
SESSION = "session-cookie-value-0123456789abcdef"
CSRF = "csrf-cookie-value-0123456789abcdefABCDEF"
TOKEN = "sign-up-token-in-the-path"
QUERY = "secret-in-the-query"

SITE_PORT = 8603
# The site as gunicorn would run it (its WSGI application, so Sentry's WSGI
# middleware sees the request), serving one request.
SITE = f"""
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
from wsgiref.simple_server import WSGIRequestHandler, make_server
import sentry_sdk

assert sentry_sdk.get_client().is_active(), "SENTRY_DSN did not start sentry-sdk"
call_command("migrate", verbosity=0)
call_command("createcachetable")
# No collectstatic here: the 500 page's stylesheet from the plain storage.
storages = {{**settings.STORAGES, "staticfiles": {{
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}}}}
override_settings(ROOT_URLCONF="portal.tests.sentry_urls", STORAGES=storages).enable()

from portal.wsgi import application

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = make_server("127.0.0.1", {SITE_PORT}, application, handler_class=Quiet)
print("READY", flush=True)
server.handle_request()
sentry_sdk.flush(timeout=10)
print("FLUSHED", flush=True)
"""


class EnvelopeServer(ThreadingHTTPServer):
    """Accepts what Sentry's SDK posts to /api/<project>/envelope/."""

    def __init__(self, port):
        self.envelopes = []
        super().__init__(("127.0.0.1", port), EnvelopeHandler)


class EnvelopeHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append((self.path, body.decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    server = EnvelopeServer(SENTRY_PORT)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _events(envelopes):
    """The error events in the envelopes (an envelope is JSON lines: a header,
    then an item header and its payload, per item)."""
    events = []
    for _, text in envelopes:
        lines = text.splitlines()[1:]
        for header, payload in zip(lines[::2], lines[1::2]):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_a_failing_view_reaches_sentry_without_personal_data(sentry_server, tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DATABASE", "REDIS", "CACHE", "TASK_QUEUE"))
        and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_READ_DOT_ENV_FILE="False",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'tasks.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        SENTRY_DSN=f"http://public-key@127.0.0.1:{SENTRY_PORT}/1",
        SENTRY_ENVIRONMENT="test",
    )
    site = subprocess.Popen(
        [sys.executable, "-c", SITE],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = site.stdout.readline()
        assert ready.startswith("READY"), site.stderr.read()[-3000:]
        connection = http.client.HTTPConnection("127.0.0.1", SITE_PORT, timeout=60)
        body = urlencode({"username": "priya", "password": PASSWORD})
        connection.request(
            "POST",
            f"/probe/{TOKEN}/?next={QUERY}",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={SESSION}; csrftoken={CSRF}; "
                f"__Host-sessionid={SESSION}",
                "Authorization": f"Bearer {PASSWORD}",
                "Referer": f"http://127.0.0.1:{SITE_PORT}/probe/{TOKEN}/",
            },
        )
        assert connection.getresponse().status == 500
        out, err = site.communicate(timeout=60)
        assert "FLUSHED" in out, err[-3000:]
    finally:
        site.kill()
        site.wait()

    assert sentry_server.envelopes, "no envelope reached the server"
    assert {path for path, _ in sentry_server.envelopes} == {"/api/1/envelope/"}
    events = _events(sentry_server.envelopes)
    [event] = [e for e in events if "exception" in e]
    [logged] = [e for e in events if "exception" not in e]
    assert logged["logentry"]["message"] == "email %s to %s: giving up"
    assert logged["logentry"]["params"] == ["payment:2", "[email]"]
    [exception] = event["exception"]["values"]
    assert exception["type"] == "SentryProbeError"
    assert exception["module"] == "portal.tests.sentry_urls"
    assert event["environment"] == "test"
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"] == f"http://127.0.0.1:{SITE_PORT}/probe/{{token}}/"
    assert event["request"]["headers"]["Host"] == f"127.0.0.1:{SITE_PORT}"

    everything = "\n".join(text for _, text in sentry_server.envelopes)
    for secret in (PASSWORD, SESSION, CSRF, TOKEN, QUERY, "priya.sharma@"):
        assert secret not in everything, secret
    assert set(event["request"]) <= {"method", "url", "headers"}
    assert "Cookie" not in event["request"]["headers"]
    assert "user" not in event
    frames = exception["stacktrace"]["frames"]
    assert frames and not any("vars" in frame for frame in frames)
