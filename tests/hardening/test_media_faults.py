"""A full or read-only upload folder: the student gets a clear message, and no
row, no file fragment and no temporary file is left behind.

The private folder is replaced for the test by a tiny tmpfs (needs root, as on
the CI machine), which is filled up or remounted read-only.
"""

import os
import subprocess

import pytest
from django.urls import reverse
from PIL import Image

from interviews.factories import InterviewCourseFactory, webm_bytes
from interviews.models import Answer
from interviews.tests.room_helpers import open_interview, send_answer
from payments.models import Payment
from payments.tests.helpers import upload
from portal.tests.files import local_private_root

pytestmark = pytest.mark.django_db


def _noisy_png(side=200):
    import io

    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tiny_disk():
    root = local_private_root()  # a disk that fills: local by nature
    root.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(root)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def _fill(root, leave_bytes):
    stat = os.statvfs(root)
    free = stat.f_bavail * stat.f_frsize
    (root / "filler").write_bytes(b"\0" * max(free - leave_bytes, 0))


def _files(root):
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
    )


def _pay(client, course, proof):
    return client.post(
        reverse("payments:pay", args=[course.slug]),
        {"utr": "612345678901", "screenshot": upload(proof, "proof.png")},
    )


@pytest.mark.undone_in_the_test_transaction
def test_a_full_disk_refuses_a_payment_cleanly(student_client, tiny_disk):
    course = InterviewCourseFactory()
    proof = _noisy_png()
    _fill(tiny_disk, leave_bytes=16 * 1024)  # less than the proof needs
    response = _pay(student_client, course, proof)
    assert response.status_code == 503
    body = response.content.decode()
    assert "We could not save your file" in body
    assert "nothing was saved" in body
    assert response["Retry-After"] == "120"
    assert not Payment.objects.exists()
    assert _files(tiny_disk) == ["filler"]  # no torn fragment
    # Room again: the same submission now goes through.
    (tiny_disk / "filler").unlink()
    assert _pay(student_client, course, proof).status_code == 302
    assert Payment.objects.count() == 1


@pytest.mark.undone_in_the_test_transaction
def test_a_read_only_disk_refuses_a_payment_cleanly(student_client, tiny_disk):
    course = InterviewCourseFactory()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    response = _pay(student_client, course, _noisy_png(50))
    assert response.status_code == 503
    assert "nothing was saved" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_full_disk_refuses_an_answer_cleanly(
    student_client, student, tiny_disk, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    _fill(tiny_disk, leave_bytes=16 * 1024)
    before = _files(tiny_disk)  # the filler and the interview's payment proof
    response = send_answer(student_client, interview, question, webm_bytes(200 * 1024))
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["error"]
    assert not Answer.objects.exists()
    assert _files(tiny_disk) == before
    assert list(tmp_path.iterdir()) == []
    (tiny_disk / "filler").unlink()
    response = send_answer(student_client, interview, question, webm_bytes(200 * 1024))
    assert response.status_code == 200
