"""Real speech for the transcript tests, made by espeak-ng and ffmpeg: a WAV,
and a WebM with a test picture as the room would record it."""

import functools
import subprocess
import tempfile
from pathlib import Path

SENTENCE = "hello world this is a mock interview answer"
# Words pocketsphinx hears in SENTENCE (recognition is imperfect: tests ask for
# some of them, not all).
KEY_WORDS = {"hello", "world", "this", "interview", "answer"}
# espeak-ng's Klatt voice at this speed is what pocketsphinx's model hears
# best; a second of silence either side lets its noise estimate settle.
VOICE = ["-v", "en-us+klatt", "-s", "150"]
PAD_SECONDS = 1


def _espeak(text, folder):
    path = Path(folder) / "speech.wav"
    subprocess.run(["espeak-ng", *VOICE, "-w", str(path), text], check=True)
    return path


@functools.cache
def spoken_wav(text=SENTENCE):
    """16 kHz mono WAV bytes of `text`, padded with silence."""
    with tempfile.TemporaryDirectory() as folder:
        speech = _espeak(text, folder)
        out = Path(folder) / "padded.wav"
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y", "-i", str(speech),
                "-af", f"adelay={PAD_SECONDS * 1000},apad=pad_dur={PAD_SECONDS}",
                "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(out),
            ],
            check=True,
        )  # fmt: skip
        return out.read_bytes()


@functools.cache
def spoken_webm(text=SENTENCE, with_sound=True):
    """A VP8/Opus WebM of a test picture while `text` is spoken (or, with
    `with_sound=False`, the picture alone)."""
    with tempfile.TemporaryDirectory() as folder:
        speech = _espeak(text, folder)
        out = Path(folder) / "answer.webm"
        sound = ["-i", str(speech)] if with_sound else []
        audio = (
            ["-af", f"adelay={PAD_SECONDS * 1000},apad=pad_dur={PAD_SECONDS}",
             "-shortest", "-c:a", "libopus"]
            if with_sound else ["-t", "4"]
        )  # fmt: skip
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y",
                "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", *sound,
                "-c:v", "libvpx", "-b:v", "200k", *audio, str(out),
            ],
            check=True,
        )  # fmt: skip
        return out.read_bytes()
