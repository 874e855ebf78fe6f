"""Validation and re-encoding of payment screenshots.

An upload is judged by what Pillow decodes, never by its name or declared type.
What we store is a fresh encoding of the decoded pixels, so EXIF, text chunks,
ICC profiles and anything appended after the image data are dropped.
"""

import hashlib
import io
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

# Decoded format -> (file extension, save options).
ALLOWED_FORMATS = {
    "JPEG": ("jpg", {"format": "JPEG", "quality": 90}),
    "PNG": ("png", {"format": "PNG", "optimize": False}),
    "WEBP": ("webp", {"format": "WEBP", "quality": 90}),
}
# Modes each encoder takes as is; anything else is converted first.
_SAVE_MODES = {
    "JPEG": {"RGB", "L"},
    "PNG": {"RGB", "RGBA", "L", "LA"},
    "WEBP": {"RGB", "RGBA"},
}


# The approver's queue shows proofs as thumbnails made once, at submit (issue 15):
# at most this wide and tall, WebP.
THUMBNAIL_BOX = (320, 640)
THUMBNAIL_OPTIONS = {"format": "WEBP", "quality": 75, "method": 4}


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    sha256: str
    thumbnail: bytes = b""


def _refuse(message, code):
    raise ValidationError(message, code=code)


def _check_dimensions(image, max_pixels):
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        _refuse(
            "This image is too large in pixels "
            f"({width} × {height}). Please send a normal screenshot.",
            "too_many_pixels",
        )


_slots_lock = threading.Lock()
_slots = {"size": None, "semaphore": None}


def decode_slots():
    """The per-process semaphore bounding how many proofs are decoded at once
    (PAYMENT_PROOF_DECODE_CONCURRENCY; rebuilt if the setting changes)."""
    size = settings.PAYMENT_PROOF_DECODE_CONCURRENCY
    with _slots_lock:
        if _slots["size"] != size:
            _slots.update(size=size, semaphore=threading.BoundedSemaphore(size))
        return _slots["semaphore"]


@contextmanager
def _decode_slot():
    slots = decode_slots()
    if not slots.acquire(timeout=settings.PAYMENT_PROOF_DECODE_WAIT_SECONDS):
        _refuse(
            "We are busy checking other screenshots. Please try again in a minute.",
            "busy",
        )
    try:
        yield
    finally:
        slots.release()


def _normalised(image, image_format):
    image = ImageOps.exif_transpose(image)
    if image.mode not in _SAVE_MODES[image_format]:
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if has_alpha and image_format != "JPEG" else "RGB")
    # Nothing from the original file survives but the pixels.
    image.info = {}
    return image


def clean_payment_screenshot(uploaded_file):
    """Return a CleanImage for an uploaded screenshot or raise ValidationError.

    The hash is of the re-encoded bytes: re-encoding is a pure function of the
    decoded pixels, so the same picture sent twice (with different metadata or
    trailing bytes) gives the same hash without holding a second copy of the
    pixels in memory.
    """
    max_bytes = settings.PAYMENT_PROOF_MAX_BYTES
    max_pixels = settings.PAYMENT_PROOF_MAX_PIXELS
    if uploaded_file.size > max_bytes:
        _refuse(
            f"The file is {filesizeformat(uploaded_file.size)}; the limit is "
            f"{filesizeformat(max_bytes)}.",
            "too_large",
        )
    not_an_image = (
        "This file is not a JPEG, PNG or WebP image. Please upload a screenshot "
        "of the successful payment."
    )
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse it all.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            uploaded_file.seek(0)
            # Image.open reads the header only: format and size cost nothing.
            with Image.open(uploaded_file) as probe:
                image_format = probe.format
                if image_format not in ALLOWED_FORMATS:
                    _refuse(not_an_image, "wrong_type")
                _check_dimensions(probe, max_pixels)
            with _decode_slot():
                uploaded_file.seek(0)
                with Image.open(uploaded_file) as probe:
                    probe.verify()
                uploaded_file.seek(0)
                with Image.open(uploaded_file) as image:
                    if image.format != image_format:
                        _refuse(not_an_image, "wrong_type")
                    _check_dimensions(image, max_pixels)
                    image.load()
                    clean = _normalised(image, image_format)
                    extension, save_options = ALLOWED_FORMATS[image_format]
                    buffer = io.BytesIO()
                    clean.save(buffer, **save_options)
                    content = buffer.getvalue()
                    # From the pixels already decoded: no second decode.
                    thumbnail = _thumbnail_bytes(clean)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            _refuse(
                "This image is too large in pixels. Please send a normal screenshot.",
                "too_many_pixels",
            )
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            # Pillow reports truncated or corrupt data with any of these.
            _refuse(not_an_image, "wrong_type")
        finally:
            uploaded_file.seek(0)
    return CleanImage(
        content=content,
        extension=extension,
        sha256=hashlib.sha256(content).hexdigest(),
        thumbnail=thumbnail,
    )


def _thumbnail_bytes(image):
    """The thumbnail's WebP bytes. Shrinks `image` in place (the callers are done
    with it), so a decode never holds a second full-size copy of the pixels."""
    image.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
    if image.mode not in _SAVE_MODES["WEBP"]:
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, **THUMBNAIL_OPTIONS)
    return buffer.getvalue()


def thumbnail_of_stored_proof(handle):
    """The WebP thumbnail of a proof already stored (it was cleaned at submit;
    the caps and the decode slot hold all the same), for the backfill."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(handle) as probe:
            _check_dimensions(probe, settings.PAYMENT_PROOF_MAX_PIXELS)
        handle.seek(0)
        with _decode_slot(), Image.open(handle) as image:
            image.load()
            return _thumbnail_bytes(image)
