"""Images and uploads for the payments tests."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from payments.factories import png_bytes


def jpeg_with_exif(size=(60, 40), orientation=6):
    """A JPEG carrying EXIF (camera model, GPS-like text, an orientation)."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x0110] = "SecretPhone 9000"  # Model
    exif[0x010E] = "taken at home"  # ImageDescription
    exif[0x0112] = orientation  # Orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def png_with_text_chunk(text="author=Priya, secret=42"):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", text)
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 200, 10)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def image_bytes(image_format, size=(40, 30), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, (20, 90, 160)[: len(mode)] if mode != "P" else 3).save(
        buffer, format=image_format
    )
    return buffer.getvalue()


def png_claiming_size(width, height):
    """A real 1x1 PNG whose IHDR claims another size (CRC fixed up)."""
    data = bytearray(png_bytes(size=(1, 1)))
    # Signature (8) + length (4) + "IHDR" (4), then width and height.
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
    b'height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>'
)
HTML_TAIL = b"<html><script>alert(document.cookie)</script></html>"


def upload(content, name="proof.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def private_proof_files():
    """The stored proofs, on disk or in the bucket."""
    from portal.tests.files import stored_names

    return stored_names("proofs")
