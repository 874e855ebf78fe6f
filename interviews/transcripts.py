"""Transcripts of recorded answers (issue 16, item 9): the text and the time of
each word, shown beside the player on the report and the workbench.

The engine is chosen by TRANSCRIPT_ENGINE. Every engine has one interface,
`transcribe(wav_path) -> (text, [(word, start_seconds, end_seconds), ...])`,
for a 16 kHz mono 16-bit WAV (made here from the stored recording by ffmpeg).

- "pocketsphinx": offline; its US English model ships inside the package.
  Rough on real speech, but needs no download and no GPU.
- "faster-whisper": much better, in many languages; needs the package and a
  model directory on the server (WHISPER_MODEL_DIR); imported only when used.
- "off": no transcripts.
"""

import logging
import re
import shutil
import tempfile
import wave
from pathlib import Path

from django.conf import settings

from interviews import media
from interviews.models import Answer, AnswerState, Transcript, TranscriptState
from portal.db import atomic
from portal.storage import private_storage

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# pocketsphinx marks silences, noises and sentence ends; "word(2)" is the second
# pronunciation of "word" in its dictionary.
_NOT_A_WORD = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")
_PRONUNCIATION = re.compile(r"\(\d+\)$")


class TranscriptConfigError(Exception):
    """The configured engine cannot run here (package or model missing)."""


# ---- Engines ----


class PocketSphinxEngine:
    name = "pocketsphinx"
    language = "en"
    # Read this much audio at a time: a long answer is never in memory twice.
    BLOCK_BYTES = SAMPLE_RATE * 2 * 10

    def transcribe(self, wav_path):
        from pocketsphinx import Decoder

        decoder = Decoder(loglevel="ERROR", samprate=SAMPLE_RATE)
        with wave.open(str(wav_path), "rb") as audio:
            decoder.start_utt()
            while block := audio.readframes(self.BLOCK_BYTES // 2):
                decoder.process_raw(block, no_search=False, full_utt=False)
            decoder.end_utt()
        frames_per_second = decoder.config["frate"]
        words = []
        for segment in decoder.seg():
            if _NOT_A_WORD.match(segment.word):
                continue
            words.append(
                (
                    _PRONUNCIATION.sub("", segment.word),
                    round(segment.start_frame / frames_per_second, 2),
                    round((segment.end_frame + 1) / frames_per_second, 2),
                )
            )
        return " ".join(word for word, _start, _end in words), words


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model_dir, device="cpu", compute_type="int8", language="en"):
        self.model_dir = model_dir
        self.device = device
        self.compute_type = compute_type
        self.language = language

    def _model(self):
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise TranscriptConfigError(
                "TRANSCRIPT_ENGINE=faster-whisper, but the faster-whisper package "
                "is not installed (pip install faster-whisper)."
            ) from exc
        if not self.model_dir or not Path(self.model_dir).is_dir():
            raise TranscriptConfigError(
                f"WHISPER_MODEL_DIR ({self.model_dir or 'unset'}) is not a directory "
                "holding a faster-whisper model."
            )
        return WhisperModel(
            self.model_dir, device=self.device, compute_type=self.compute_type
        )

    def transcribe(self, wav_path):
        segments, _info = self._model().transcribe(
            str(wav_path), language=self.language, word_timestamps=True
        )
        return words_from_whisper_segments(segments)


def words_from_whisper_segments(segments):
    """faster-whisper's segments (each with .words: .word, .start, .end, the
    word carrying its leading space) as our (text, words)."""
    words = []
    for segment in segments:
        for item in segment.words or []:
            word = item.word.strip()
            if word:
                words.append((word, round(item.start, 2), round(item.end, 2)))
    return " ".join(word for word, _start, _end in words), words


def engine_from_settings():
    """The configured engine, or None when transcripts are off."""
    name = settings.TRANSCRIPT_ENGINE
    if name == "off":
        return None
    if name == "pocketsphinx":
        return PocketSphinxEngine()
    if name == "faster-whisper":
        return FasterWhisperEngine(
            settings.WHISPER_MODEL_DIR,
            device=settings.WHISPER_DEVICE,
            compute_type=settings.WHISPER_COMPUTE_TYPE,
            language=settings.TRANSCRIPT_LANGUAGE,
        )
    raise TranscriptConfigError(f"Unknown TRANSCRIPT_ENGINE {name!r}.")


# ---- Making an answer's transcript ----


def make_transcript(answer, engine=None):
    """Transcribe the answer's processed recording and store the result, or
    the error: a failed transcript is recorded, never raised, so the review
    never waits on it. Returns the Transcript, or None when transcripts are
    off or the answer changed meanwhile."""
    try:
        engine = engine or engine_from_settings()
    except TranscriptConfigError as exc:
        return _store(answer, answer.file.name, "?", "", failed=str(exc))
    if engine is None:
        return None
    name = answer.file.name
    storage = private_storage()
    try:
        with tempfile.TemporaryDirectory(prefix="transcript-") as folder:
            recording = Path(folder) / "recording"
            sound = Path(folder) / "sound.wav"
            # The storage API only: the recording may live on S3.
            with storage.open(name, "rb") as source, open(recording, "wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
            media.extract_audio(recording, sound, SAMPLE_RATE)
            text, words = engine.transcribe(sound)
    except Exception as exc:  # any engine or ffmpeg failure is only recorded
        logger.warning("transcript of answer %s failed: %s", answer.pk, exc)
        return _store(answer, name, engine.name, engine.language, failed=str(exc))
    return _store(answer, name, engine.name, engine.language, text=text, words=words)


def _store(answer, name, engine, language, text="", words=(), failed=""):
    fields = {
        "source_name": name,
        "engine": engine,
        "language": language,
        "text": text,
        "words": [[word, start, end] for word, start, end in words],
        "state": TranscriptState.FAILED if failed else TranscriptState.DONE,
        "error": failed[:300],
    }
    with atomic():
        # Locked so that a retake cannot slip in between the check and the write.
        still_there = (
            Answer.objects.select_for_update()
            .filter(pk=answer.pk, file=name, state=AnswerState.PROCESSED)
            .exists()
        )
        if not still_there:
            return None
        transcript, _created = Transcript.objects.update_or_create(
            answer=answer, defaults=fields
        )
    return transcript
