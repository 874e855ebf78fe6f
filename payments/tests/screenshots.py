"""Synthetic UPI payment screenshots drawn with Pillow, for the fraud signals."""

import io

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _font(path, size):
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size=size)


def screenshot(
    amount="200",
    utr="412345678901",
    payee="interviewportal@upi",
    layout="phonepe",
):
    """A phone-sized payment-success screen; `layout` changes colours and shapes."""
    image = Image.new("RGB", (540, 960), "white")
    draw = ImageDraw.Draw(image)
    big, text = _font(BOLD, 44), _font(FONT, 28)
    if layout == "phonepe":
        draw.rectangle((0, 0, 540, 220), fill=(95, 37, 159))
        draw.ellipse((220, 60, 320, 160), fill=(40, 180, 90))
        draw.text((40, 260), "Payment Successful", font=big, fill="black")
        draw.text((40, 350), f"Rs {amount}.00", font=big, fill="black")
        draw.text((40, 450), f"Paid to {payee}", font=text, fill="black")
        draw.text((40, 520), f"UTR: {utr}", font=text, fill="black")
        draw.rectangle((40, 800, 500, 880), outline=(95, 37, 159), width=4)
    else:
        draw.rectangle((0, 700, 540, 960), fill=(26, 115, 232))
        draw.polygon([(270, 40), (380, 200), (160, 200)], fill=(250, 180, 0))
        draw.text((40, 240), f"INR {amount}.00", font=big, fill=(20, 20, 20))
        draw.text((40, 320), "Completed", font=text, fill=(20, 120, 20))
        draw.text((40, 380), f"To: {payee}", font=text, fill="black")
        draw.text((40, 440), f"UPI transaction ID {utr}", font=text, fill="black")
    return image


def encoded(image, image_format="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def variants(image):
    """The same screenshot re-saved, cropped, resized and touched by one pixel."""
    width, height = image.size
    cropped = image.crop(
        (
            int(width * 0.025),
            int(height * 0.025),
            int(width * 0.975),
            int(height * 0.975),
        )
    )
    one_pixel = image.copy()
    one_pixel.putpixel((10, 10), (255, 0, 0))
    return {
        "jpeg_q60": encoded(image.convert("RGB"), "JPEG", quality=60),
        "cropped_5pc": encoded(cropped),
        "resized_80pc": encoded(image.resize((int(width * 0.8), int(height * 0.8)))),
        "one_pixel": encoded(one_pixel),
    }
