"""What one payment proof costs to judge: CPU time and peak memory per case.

Each case runs in a fresh subprocess (so its peak RSS is its own), through the
real form and image check, with the test settings:

    .venv/bin/python bench/proof_decode.py

Cases: a 5000x5000 solid-colour WebP (44 KB, the decompression amplifier) with a
valid UTR and with an invalid one, a phone screenshot (1080x2400 PNG) and a
12-megapixel photo (4000x3000 JPEG, the largest accepted) that are accepted.
The images are made by the parent, so a child's peak memory is the check's.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    "huge_webp_valid_utr",
    "huge_webp_invalid_utr",
    "phone_screenshot",
    "photo_12mp",
]
RUNS = 3


def _image(case):
    from PIL import Image, ImageDraw

    if case.startswith("huge_webp"):
        buffer = io.BytesIO()
        Image.new("RGB", (5000, 5000), (250, 250, 250)).save(buffer, "WEBP")
        return buffer.getvalue(), "proof.webp", "image/webp"
    if case == "photo_12mp":
        size = (4000, 3000)
        bands = [
            Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 60),
            Image.linear_gradient("L").resize(size),
            Image.effect_noise(size, 20),
        ]
        buffer = io.BytesIO()
        Image.merge("RGB", bands).save(buffer, "JPEG", quality=85)
        return buffer.getvalue(), "proof.jpg", "image/jpeg"
    image = Image.new("RGB", (1080, 2400), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for row in range(0, 2400, 24):  # text-like stripes, as a screenshot has
        draw.rectangle([40, row, 40 + (row * 7) % 1000, row + 10], fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue(), "proof.png", "image/png"


def _status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def child(case, path):
    import time

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.test_settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from payments.forms import PaymentProofForm

    content = Path(path).read_bytes()
    name, content_type = json.loads(Path(path + ".json").read_text())
    utr = "41234567890A" if case == "huge_webp_invalid_utr" else None
    if utr is None:
        from payments.images import clean_payment_screenshot

        def judge():
            try:
                clean_payment_screenshot(
                    SimpleUploadedFile(name, content, content_type)
                )
                return "accepted"
            except django.core.exceptions.ValidationError as error:
                return "refused: " + error.messages[0]
    else:

        def judge():
            form = PaymentProofForm(
                {"utr": utr},
                {"screenshot": SimpleUploadedFile(name, content, content_type)},
            )
            return "valid" if form.is_valid() else f"invalid: {sorted(form.errors)}"

    # A worker has loaded Pillow's plugins long before: so has this one.
    from PIL import Image

    from payments.images import clean_payment_screenshot as warm_up

    for image_format in ("PNG", "JPEG", "WEBP"):
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30)).save(buffer, image_format)
        warm_up(SimpleUploadedFile("warm", buffer.getvalue(), "image/png"))

    # Linux: reset the peak (VmHWM) to the current RSS, then read it after.
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _status_kb("VmHWM")
    cpu = time.process_time()
    wall = time.perf_counter()
    outcome = judge()
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    peak = _status_kb("VmHWM")
    print(
        json.dumps(
            {
                "case": case,
                "bytes": len(content),
                "outcome": outcome,
                "wall_ms": round(wall * 1000, 1),
                "cpu_ms": round(cpu * 1000, 1),
                "peak_rss_above_baseline_mb": round((peak - baseline) / 1024, 1),
            }
        )
    )


def main():
    workdir = Path(tempfile.mkdtemp(prefix="proof-decode-"))
    for case in CASES:
        content, name, content_type = _image(case)
        path = workdir / case
        path.write_bytes(content)
        Path(f"{path}.json").write_text(json.dumps([name, content_type]))
        results = []
        for _ in range(RUNS):
            out = subprocess.run(  # noqa: S603 (our own script)
                [sys.executable, __file__, "--child", case, str(path)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(results, key=lambda r: r["wall_ms"])
        best["peak_rss_above_baseline_mb"] = max(
            r["peak_rss_above_baseline_mb"] for r in results
        )
        print(json.dumps(best))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
