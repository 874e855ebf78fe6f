import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from payments.images import clean_payment_screenshot, decode_slots
from payments.tests.helpers import (
    HTML_TAIL,
    SVG,
    image_bytes,
    jpeg_with_exif,
    png_bytes,
    png_claiming_size,
    png_with_text_chunk,
    upload,
)


def _decoded(content):
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


@pytest.mark.parametrize(
    ("image_format", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")]
)
def test_it_accepts_jpeg_png_and_webp(image_format, extension):
    clean = clean_payment_screenshot(upload(image_bytes(image_format)))
    assert clean.extension == extension
    assert _decoded(clean.content).format == image_format
    assert clean.sha256 == hashlib.sha256(clean.content).hexdigest()


def test_it_judges_by_content_not_by_name():
    # A real JPEG uploaded as "proof.png" with a PNG content type is stored as JPEG.
    clean = clean_payment_screenshot(upload(image_bytes("JPEG"), name="proof.png"))
    assert clean.extension == "jpg"


def test_it_drops_exif_and_applies_the_orientation():
    original = jpeg_with_exif(size=(60, 40), orientation=6)
    assert b"SecretPhone" in original

    clean = clean_payment_screenshot(upload(original, "shot.jpg", "image/jpeg"))

    assert b"SecretPhone" not in clean.content
    assert b"taken at home" not in clean.content
    image = _decoded(clean.content)
    assert not image.getexif()
    assert image.size == (40, 60)  # rotated upright, then the tag dropped


def test_it_drops_png_text_chunks():
    clean = clean_payment_screenshot(upload(png_with_text_chunk()))
    assert b"author=Priya" not in clean.content
    assert not _decoded(clean.content).text


def test_it_accepts_a_png_with_html_appended_but_drops_the_html():
    clean = clean_payment_screenshot(upload(png_bytes() + HTML_TAIL))
    assert b"<html" not in clean.content
    assert b"script" not in clean.content
    # Same pixels, same hash as the clean image: a resent screenshot is spotted.
    assert clean.sha256 == clean_payment_screenshot(upload(png_bytes())).sha256


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"just some text, not an image\n" * 10, id="text-named-png"),
        pytest.param(SVG, id="svg"),
        pytest.param(image_bytes("GIF"), id="gif"),
        pytest.param(image_bytes("BMP"), id="bmp"),
        pytest.param(png_bytes()[:60], id="truncated-png"),
        pytest.param(b"", id="empty"),
    ],
)
def test_it_refuses_what_is_not_a_jpeg_png_or_webp(content):
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(content))
    assert refused.value.code == "wrong_type"


def test_it_refuses_a_file_over_the_byte_limit(settings):
    settings.PAYMENT_PROOF_MAX_BYTES = 100
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(png_bytes(size=(200, 200)) + b"0" * 200))
    assert refused.value.code == "too_large"


def test_it_refuses_an_image_over_the_pixel_limit(settings):
    settings.PAYMENT_PROOF_MAX_PIXELS = 50 * 50
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(png_bytes(size=(60, 50))))
    assert refused.value.code == "too_many_pixels"
    assert "60 × 50" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(6000, 5000, id="over-our-limit"),
        pytest.param(10_000, 10_000, id="pillow-warning-band"),
        pytest.param(100_000, 100_000, id="pillow-bomb-error"),
    ],
)
def test_it_refuses_a_decompression_bomb_from_its_header(width, height):
    # A 1x1 PNG whose header claims a huge size: refused before any decoding.
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(png_claiming_size(width, height)))
    assert refused.value.code == "too_many_pixels"


def test_the_same_image_twice_gives_the_same_hash():
    first = clean_payment_screenshot(upload(jpeg_with_exif()))
    second = clean_payment_screenshot(upload(jpeg_with_exif()))
    assert first.sha256 == second.sha256
    other = clean_payment_screenshot(upload(png_bytes(color=(1, 2, 3))))
    assert other.sha256 != first.sha256


@pytest.fixture(scope="module")
def solid_webp_5000():
    """The amplifier of finding 4: 44 KB on the wire, 75 MB of pixels decoded."""
    buffer = io.BytesIO()
    Image.new("RGB", (5000, 5000), (250, 250, 250)).save(buffer, format="WEBP")
    return buffer.getvalue()


def test_a_solid_5000x5000_webp_is_refused_from_its_header(solid_webp_5000):
    assert len(solid_webp_5000) < 100_000
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(solid_webp_5000, "big.webp", "image/webp"))
    assert refused.value.code == "too_many_pixels"
    # The message with the size is the header check's, before any decoding.
    assert "(5000 × 5000)" in refused.value.messages[0]


def test_the_default_cap_admits_a_12_megapixel_photo_header():
    # 4000 x 3000 passes the pixel cap; this one is then refused as corrupt
    # (its header lies), not as too large.
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(png_claiming_size(4000, 3000)))
    assert refused.value.code == "wrong_type"


@pytest.fixture
def every_decode_slot_taken(settings):
    settings.PAYMENT_PROOF_DECODE_CONCURRENCY = 2
    settings.PAYMENT_PROOF_DECODE_WAIT_SECONDS = 0.05
    slots = decode_slots()
    for _ in range(2):
        assert slots.acquire(timeout=1)
    yield
    for _ in range(2):
        slots.release()


def test_with_every_decode_slot_taken_a_proof_is_refused_as_busy(
    every_decode_slot_taken,
):
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(png_bytes()))
    assert refused.value.code == "busy"
    assert "try again" in refused.value.messages[0]


def test_an_image_too_large_in_pixels_is_refused_without_waiting_for_a_slot(
    every_decode_slot_taken, solid_webp_5000
):
    with pytest.raises(ValidationError) as refused:
        clean_payment_screenshot(upload(solid_webp_5000, "big.webp", "image/webp"))
    assert refused.value.code == "too_many_pixels"


def test_a_slot_is_given_back_after_a_refusal_and_after_a_success(settings):
    settings.PAYMENT_PROOF_DECODE_CONCURRENCY = 1
    settings.PAYMENT_PROOF_DECODE_WAIT_SECONDS = 0.05
    truncated = png_bytes(size=(200, 200))[:-40]
    for content in [truncated, png_bytes(), truncated, png_bytes()]:
        try:
            clean_payment_screenshot(upload(content))
        except ValidationError as refused:
            assert refused.code == "wrong_type"
    assert clean_payment_screenshot(upload(png_bytes())).extension == "png"
