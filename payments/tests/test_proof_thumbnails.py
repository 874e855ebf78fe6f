"""Proof thumbnails (issue 15): made once at submit, served through the proof's
own permission check, shown in the approver's queue, deleted with the payment."""

import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageDraw

from accounts.testing import log_in_verified
from interviews.factories import InterviewCourseFactory
from interviews.privacy import delete_account
from payments import services
from payments.factories import PaymentFactory
from payments.images import clean_payment_screenshot
from payments.models import Payment
from payments.tests.helpers import upload
from portal.tests.files import empty_private_storage, fetch

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:payments_payment_changelist")


def phone_screenshot(seed=0):
    """A PNG the size of a phone screenshot, with something drawn on it."""
    image = Image.new("RGB", (1080, 2400), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle([80, 300 + seed, 1000, 700], fill=(20, 130, 60))
    draw.text((120, 900), f"UTR 41234567890{seed % 10}  Rs 200.00", fill=(0, 0, 0))
    # A photo-like band: screenshots carry gradients and pictures.
    image.paste(Image.effect_noise((1080, 300), 60).convert("RGB"), (0, 1200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def submit(student, course=None, seed=0):
    course = course or InterviewCourseFactory()
    proof = clean_payment_screenshot(upload(phone_screenshot(seed)))
    return services.submit_payment(student, course, f"41234567890{seed}", proof)


def proof_url(payment, thumb=False):
    url = reverse("payments:proof", args=[payment.public_id])
    return f"{url}?thumb=1" if thumb else url


@pytest.fixture
def media(settings, tmp_path):
    """An empty private folder: files of earlier tests outlive their rows."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    # Not private_storage().location: on S3 that is "", the current directory.
    empty_private_storage()


def _check_media():
    out = StringIO()
    call_command("check_media", "--min-age-minutes", "0", stdout=out)
    return out.getvalue()


def test_submitting_a_proof_makes_a_small_webp_thumbnail(student_client, student):
    course = InterviewCourseFactory()
    original = phone_screenshot()

    response = student_client.post(
        reverse("payments:pay", args=[course.slug]),
        {"utr": "412345678901", "screenshot": upload(original)},
    )

    assert response.status_code == 302
    payment = Payment.objects.get(student=student)
    assert payment.proof_thumbnail.name.endswith(".thumb.webp")
    assert payment.proof_thumbnail.storage.exists(payment.proof_thumbnail.name)
    with payment.proof_thumbnail.open("rb") as stored:
        content = stored.read()
    with Image.open(io.BytesIO(content)) as thumbnail:
        assert thumbnail.format == "WEBP"
        # 1080 x 2400 fits 320 x 640 by its height, keeping its shape.
        assert thumbnail.size == (288, 640)
    assert len(content) < 20_000 < payment.proof.size


def test_the_owner_and_approvers_open_the_thumbnail(student_client, student, approver):
    payment = submit(student)

    served = fetch(student_client, proof_url(payment, thumb=True))

    assert served.status == 200
    assert served.headers["Content-Type"] == "image/webp"
    if not served.redirected:  # a bucket's signed URL cannot set it
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    with payment.proof_thumbnail.open("rb") as stored:
        assert served.body == stored.read()
    approver_client = log_in_verified(Client(), approver)
    assert fetch(approver_client, proof_url(payment, thumb=True)).status == 200


def test_another_student_cannot_open_the_thumbnail(client, student, other_student):
    payment = submit(student)
    log_in_verified(client, other_student)
    assert client.get(proof_url(payment, thumb=True)).status_code == 404
    assert Client().get(proof_url(payment, thumb=True)).status_code == 404


def test_the_queue_shows_thumbnails_not_full_images(approver_client, student):
    payments = [submit(student, seed=seed) for seed in range(3)]

    html = approver_client.get(CHANGELIST).content.decode()

    for payment in payments:
        # The thumbnail is the image; the full proof only the link around it.
        assert f'src="{proof_url(payment, thumb=True)}"' in html
        assert f'src="{proof_url(payment)}"' not in html
        assert f'href="{proof_url(payment)}"' in html


def test_the_change_page_shows_the_thumbnail_linking_to_the_full_image(
    approver_client, student
):
    payment = submit(student)
    url = reverse("admin:payments_payment_change", args=[payment.pk])

    html = approver_client.get(url).content.decode()

    assert f'src="{proof_url(payment, thumb=True)}"' in html
    assert f'href="{proof_url(payment)}"' in html


def test_deleting_a_payment_leaves_no_file(
    student, media, django_capture_on_commit_callbacks
):
    payment = submit(student)
    names = [payment.proof.name, payment.proof_thumbnail.name]

    with django_capture_on_commit_callbacks(execute=True):
        payment.delete()

    assert not any(payment.proof.storage.exists(name) for name in names)
    assert "Media and records match." in _check_media()


def test_deleting_the_account_leaves_no_thumbnail(
    student, media, django_capture_on_commit_callbacks
):
    payment = submit(student)
    name = payment.proof_thumbnail.name

    with django_capture_on_commit_callbacks(execute=True):
        delete_account(student)

    payment.refresh_from_db()
    assert payment.proof_thumbnail.name == ""
    assert not payment.proof.storage.exists(name)
    assert "Media and records match." in _check_media()


def test_the_backfill_makes_missing_thumbnails_once(student, media):
    older = PaymentFactory(student=student)  # submitted before thumbnails
    assert not older.proof_thumbnail

    out = StringIO()
    call_command("make_proof_thumbnails", stdout=out)

    older.refresh_from_db()
    assert "Made 1 thumbnails" in out.getvalue()
    with older.proof_thumbnail.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "WEBP"
        assert image.width <= 320 and image.height <= 640
    call_command("make_proof_thumbnails", stdout=out)
    assert "Made 0 thumbnails" in out.getvalue()
    assert "Media and records match." in _check_media()


@pytest.mark.parametrize(
    ("image_format", "mode"),
    [("PNG", "RGBA"), ("PNG", "P"), ("JPEG", "L"), ("WEBP", "RGB")],
)
def test_every_accepted_kind_of_image_gets_a_thumbnail(image_format, mode):
    from payments.tests.helpers import image_bytes

    clean = clean_payment_screenshot(
        upload(image_bytes(image_format, (900, 300), mode))
    )

    with Image.open(io.BytesIO(clean.thumbnail)) as thumbnail:
        assert thumbnail.format == "WEBP"
        assert thumbnail.size == (320, 107)
