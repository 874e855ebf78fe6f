import os
import shutil
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from interviews.factories import AnswerFactory
from payments.factories import PaymentFactory
from payments.models import Payment
from portal.tests.files import local_private_root

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    """An empty private folder: files of earlier tests outlive their rows."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    root = local_private_root()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


def _run(*args):
    out = StringIO()
    try:
        call_command("check_media", *args, stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


def _orphan(root, name="proofs/2026/01/left-behind.png", age_seconds=7200):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG not a record")
    past = time.time() - age_seconds
    os.utime(path, (past, past))
    return path


def test_it_says_all_is_well_when_files_and_records_match(media):
    PaymentFactory.create_batch(2)
    AnswerFactory()
    code, out = _run()
    assert code == 0
    # Two payments, the answer, and the payment of the answer's interview.
    assert "Checked 4 records in" in out
    assert "Media and records match." in out


def test_it_reports_a_record_whose_file_is_missing(media):
    payment = PaymentFactory()
    answer = AnswerFactory()
    (media / payment.proof.name).unlink()
    (media / answer.file.name).unlink()
    code, out = _run()
    assert code == 1
    assert f"payments.Payment {payment.public_id} proof: {payment.proof.name}" in out
    assert f"interviews.Answer {answer.public_id} file: {answer.file.name}" in out
    assert "2 problem(s) found" in out


def test_fix_never_deletes_a_record(media):
    payment = PaymentFactory()
    (media / payment.proof.name).unlink()
    code, out = _run("--fix")
    assert code == 1
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_it_reports_and_fixes_a_file_with_no_record(media):
    payment = PaymentFactory()
    orphan = _orphan(media)
    code, out = _run()
    assert code == 1
    assert "Files with no record (1):" in out
    assert "proofs/2026/01/left-behind.png" in out
    assert "Run with --fix" in out
    assert orphan.exists()

    code, out = _run("--fix")
    assert code == 0
    assert "removed proofs/2026/01/left-behind.png" in out
    assert not orphan.exists()
    assert (media / payment.proof.name).exists()
    assert _run()[0] == 0


def test_a_file_being_uploaded_right_now_is_not_an_orphan(media):
    young = _orphan(media, "answers/2026/01/in-flight.webm", age_seconds=30)
    code, out = _run("--fix")
    assert code == 0
    assert young.exists()
    code, out = _run("--fix", "--min-age-minutes", "0")
    assert code == 0
    assert not young.exists()


def test_it_removes_stale_temporary_uploads_left_by_a_killed_worker(
    media, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stale = _orphan(tmp_path, "tmpab12cd34.upload.webm")
    fresh = _orphan(tmp_path, "tmpzz99.upload", age_seconds=10)
    unrelated = _orphan(tmp_path, "notes.txt")
    code, out = _run()
    assert code == 1
    assert "Stale temporary uploads" in out
    assert "tmpab12cd34.upload.webm" in out
    code, out = _run("--fix")
    assert code == 0
    assert not stale.exists()
    assert fresh.exists() and unrelated.exists()
