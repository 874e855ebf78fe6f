"""Bodies larger than their view accepts are refused (413) before they are read."""

import io
import socket
import time

import pytest
from django.core.files.uploadhandler import StopUpload
from django.test import RequestFactory
from django.urls import reverse

from interviews.tests.room_helpers import chunk_url, open_interview
from portal.http import body_limit, body_limit_for
from portal.middleware import BodyLimitUploadHandler

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
BOUNDARY = "----portal-test-boundary"


class TrackingStream(io.RawIOBase):
    """A request body that counts what is read of it: a 3 MB file part, then EOF
    (the rest of what Content-Length promises never comes)."""

    def __init__(self, size=3 * MB):
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="proof"; '
            f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        self._data = io.BytesIO(head + b"x" * size)
        self.bytes_read = 0

    def readable(self):
        return True

    def read(self, size=-1):
        chunk = self._data.read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = self._data.readline(size)
        self.bytes_read += len(line)
        return line


@pytest.fixture
def temp_dir(settings, tmp_path):
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _declared_post(client, url, declared, stream, **extra):
    return client.generic(
        "POST",
        url,
        b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(declared), **extra},
    )


def test_a_400_mb_anonymous_login_post_is_refused_unread(client, temp_dir):
    stream = TrackingStream()
    response = _declared_post(client, reverse("accounts:login"), 400 * MB, stream)

    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert response.templates[0].name == "413.html"
    assert stream.bytes_read == 0
    assert list(temp_dir.iterdir()) == []


def test_the_admin_login_too(client, temp_dir):
    stream = TrackingStream()
    response = _declared_post(client, reverse("admin:login"), 400 * MB, stream)
    assert response.status_code == 413
    assert stream.bytes_read == 0


def test_json_clients_get_json(client, settings):
    response = _declared_post(
        client,
        reverse("accounts:login"),
        400 * MB,
        TrackingStream(),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["max_bytes"] == settings.REQUEST_MAX_BYTES


def test_a_payment_proof_at_its_limit_is_still_accepted_by_the_limit(settings):
    assert settings.REQUEST_MAX_BYTES > settings.PAYMENT_PROOF_MAX_BYTES


def test_an_answer_chunk_is_allowed_answer_chunk_max_bytes(
    student_client, student, settings, temp_dir
):
    interview = open_interview(student)
    question = interview.course.questions.order_by("order").first()
    url = chunk_url(interview, question)
    settings.ANSWER_CHUNK_MAX_BYTES = 8 * MB
    assert settings.REQUEST_MAX_BYTES < 6 * MB
    headers = {
        "HTTP_ACCEPT": "application/json",
        "HTTP_X_ATTEMPT": "1",
        "HTTP_X_OFFSET": "0",
        "HTTP_X_CHUNK_SHA256": "0" * 64,
    }

    # Over the default limit but under the chunk's: the view itself reads it
    # (and says it was cut short: the stream ends early).
    stream = TrackingStream(size=1 * MB)
    response = student_client.generic(
        "POST",
        url,
        b"",
        content_type="application/octet-stream",
        **headers,
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(6 * MB)},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "interrupted"
    assert stream.bytes_read > 0

    stream = TrackingStream(size=1 * MB)
    response = student_client.generic(
        "POST",
        url,
        b"",
        content_type="application/octet-stream",
        **headers,
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(8 * MB + 1)},
    )
    assert response.status_code == 413
    assert stream.bytes_read == 0


def test_the_decorator_sets_the_limit_read_at_request_time(settings):
    @body_limit("ANSWER_MAX_BYTES")
    def big(request):
        pass

    @body_limit(1234)
    def small(request):
        pass

    def plain(request):
        pass

    settings.ANSWER_MAX_BYTES = 99
    assert body_limit_for(big) == 99
    assert body_limit_for(small) == 1234
    assert body_limit_for(plain) == settings.REQUEST_MAX_BYTES


def test_the_upload_handler_stops_a_body_at_the_limit():
    request = RequestFactory().post("/")
    request.body_limit = 100_000
    handler = BodyLimitUploadHandler(request)
    chunk = b"x" * 64 * 1024
    assert handler.receive_data_chunk(chunk, 0) == chunk
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(chunk, len(chunk))


@pytest.mark.django_db(transaction=True)
def test_a_chunked_oversize_body_is_not_read_past_the_limit(live_server, settings):
    """No Content-Length: the server answers while the client is still sending,
    and nothing of the body was spooled to disk."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Transfer-Encoding: chunked\r\n"
            + f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n".encode()
        )
        sent, chunk = 0, b"x" * 64 * 1024
        started = time.monotonic()
        sock.settimeout(0.05)
        answer = b""
        while not answer and sent < 400 * MB and time.monotonic() - started < 20:
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:  # the server closed the connection: refused
                break
    assert sent < settings.REQUEST_MAX_BYTES * 2, sent
