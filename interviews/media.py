"""ffprobe and ffmpeg for recorded answers: read, remux (no re-encode), poster.

MediaRecorder's WebM has no duration and no cues, so players show 0:00 and
cannot seek; a stream copy through ffmpeg's muxer writes both. Safari's
fragmented MP4 gets its index moved to the front (+faststart).
"""

import json
import subprocess

from django.conf import settings

TIMEOUT_SECONDS = 120
POSTER_WIDTH = 320


class MediaError(Exception):
    """ffprobe or ffmpeg could not read or write the recording."""


def _run(args):
    try:
        # The arguments are our own: binaries from settings, paths we made.
        result = subprocess.run(  # noqa: S603
            args, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"{args[0]} did not run: {exc}") from exc
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise MediaError(tail[0] if tail else f"{args[0]} failed")
    return result.stdout


def _ffmpeg(*args):
    """ffmpeg quiet but for errors, overwriting its output file."""
    return _run([settings.FFMPEG_BINARY, "-v", "error", "-y", *args])


def probe(path):
    """ffprobe's description of the file; MediaError if it is not a video."""
    out = _run(
        [
            settings.FFPROBE_BINARY,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ]
    )
    info = json.loads(out or b"{}")
    if not any(s.get("codec_type") == "video" for s in info.get("streams", [])):
        raise MediaError("no video stream")
    return info


def duration_of(info):
    """The duration in seconds ffprobe reports, or None when it knows none."""
    candidates = [info.get("format", {}).get("duration")]
    candidates += [s.get("duration") for s in info.get("streams", [])]
    for value in candidates:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return seconds
    return None


def remux(source, target, content_type):
    """Copy the streams into a fresh container that has a duration and an index."""
    if content_type == "video/mp4":
        container = ["-movflags", "+faststart", "-f", "mp4"]
    else:
        container = ["-f", "webm"]
    _ffmpeg(
        "-i",
        str(source),
        "-map",
        "0",
        "-c",
        "copy",
        *container,
        str(target),
    )


def poster(source, target, at_seconds):
    """A small JPEG of the frame at `at_seconds`."""
    _ffmpeg(
        "-ss",
        f"{at_seconds:.2f}",
        "-i",
        str(source),
        "-frames:v",
        "1",
        "-vf",
        f"scale={POSTER_WIDTH}:-2",
        "-q:v",
        "5",
        "-f",
        "image2",
        str(target),
    )


def extract_audio(source, target, sample_rate=16000):
    """The recording's sound as mono 16-bit WAV at `sample_rate` (for transcripts)."""
    _ffmpeg(
        "-i",
        str(source),
        "-vn",
        "-ac",
        "1",
        "-ar",
        str(sample_rate),
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        str(target),
    )
