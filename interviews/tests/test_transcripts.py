"""Transcripts (issue 16, item 9) of real speech made by espeak-ng: the
pocketsphinx engine, the task after processing, what it records when it
fails, and the faster-whisper adapter as far as it runs without a model."""

import os
import shutil
import subprocess
import sys
import types
import wave
from collections import namedtuple

import pytest
from django.core.files.base import ContentFile

from interviews.factories import AnswerFactory
from interviews.models import AnswerState, Transcript, TranscriptState
from interviews.tasks import process_answer
from interviews.tests.speech import KEY_WORDS, spoken_wav, spoken_webm
from interviews.transcripts import (
    FasterWhisperEngine,
    PocketSphinxEngine,
    TranscriptConfigError,
    engine_from_settings,
    make_transcript,
    words_from_whisper_segments,
)
from portal.storage import unguessable_name

pytestmark = [
    pytest.mark.skipif(
        not (shutil.which("ffmpeg") and shutil.which("espeak-ng")),
        reason="ffmpeg and espeak-ng are Debian packages (.ci/run installs them)",
    ),
    pytest.mark.django_db,
]


@pytest.fixture
def pocketsphinx(settings):
    settings.TRANSCRIPT_ENGINE = "pocketsphinx"


def _answer_with(body, **kwargs):
    return AnswerFactory(
        file=ContentFile(body, name=unguessable_name("answers", "webm")),
        size=len(body),
        **kwargs,
    )


def _assert_plausible(words, duration):
    heard = {word for word, _start, _end in words}
    assert len(heard & KEY_WORDS) >= 2, f"heard only {sorted(heard)}"
    starts = [start for _word, start, _end in words]
    assert starts == sorted(starts)
    for _word, start, end in words:
        assert 0 <= start < end <= duration + 0.05


def test_pocketsphinx_hears_the_words_and_when_they_were_said(tmp_path):
    path = tmp_path / "speech.wav"
    path.write_bytes(spoken_wav())
    with wave.open(str(path)) as audio:
        duration = audio.getnframes() / audio.getframerate()

    text, words = PocketSphinxEngine().transcribe(path)

    _assert_plausible(words, duration)
    assert text == " ".join(word for word, _start, _end in words)
    assert not any(word.startswith("<") or "(" in word for word, _s, _e in words)
    assert words[0][1] >= 0.8  # after the second of silence before the speech


@pytest.mark.usefixtures("immediate_tasks", "pocketsphinx")
def test_the_recording_is_transcribed_after_it_is_processed(
    django_capture_on_commit_callbacks,
):
    answer = _answer_with(spoken_webm(), state=AnswerState.UPLOADED)

    with django_capture_on_commit_callbacks(execute=True):
        process_answer(answer.pk)

    answer.refresh_from_db()
    assert answer.state == AnswerState.PROCESSED
    transcript = answer.transcript
    assert transcript.state == TranscriptState.DONE
    assert transcript.engine == "pocketsphinx"
    assert transcript.language == "en"
    assert transcript.source_name == answer.file.name  # the processed copy
    assert transcript.is_current
    _assert_plausible(transcript.words, answer.duration_seconds)
    assert transcript.text.split() == [word for word, _s, _e in transcript.words]


@pytest.mark.usefixtures("immediate_tasks", "pocketsphinx")
def test_a_recording_without_sound_gets_a_failed_transcript_not_a_failed_answer(
    django_capture_on_commit_callbacks,
):
    answer = _answer_with(spoken_webm(with_sound=False), state=AnswerState.UPLOADED)

    with django_capture_on_commit_callbacks(execute=True):
        process_answer(answer.pk)

    answer.refresh_from_db()
    assert answer.state == AnswerState.PROCESSED  # still watchable and reviewable
    assert answer.transcript.state == TranscriptState.FAILED
    assert answer.transcript.error
    assert answer.transcript.words == []


@pytest.mark.usefixtures("immediate_tasks")
def test_nothing_is_transcribed_when_transcripts_are_off(
    settings, django_capture_on_commit_callbacks
):
    settings.TRANSCRIPT_ENGINE = "off"
    answer = _answer_with(spoken_webm(), state=AnswerState.UPLOADED)

    with django_capture_on_commit_callbacks(execute=True):
        process_answer(answer.pk)

    answer.refresh_from_db()
    assert answer.state == AnswerState.PROCESSED
    assert not Transcript.objects.exists()


@pytest.mark.usefixtures("pocketsphinx")
def test_a_retake_during_transcription_keeps_the_old_words_off_the_new_take():
    answer = _answer_with(spoken_webm(), state=AnswerState.PROCESSED)

    class RetakeMeanwhile(PocketSphinxEngine):
        def transcribe(self, wav_path):
            result = super().transcribe(wav_path)
            type(answer).objects.filter(pk=answer.pk).update(
                file="answers/retake.webm", state=AnswerState.UPLOADED
            )
            return result

    assert make_transcript(answer, engine=RetakeMeanwhile()) is None
    assert not Transcript.objects.exists()


@pytest.mark.usefixtures("pocketsphinx")
def test_transcribing_again_replaces_the_transcript():
    answer = _answer_with(spoken_webm(), state=AnswerState.PROCESSED)
    first = make_transcript(answer)
    second = make_transcript(answer)
    assert second.pk == first.pk
    assert Transcript.objects.count() == 1


# ---- faster-whisper, without its package or a model ----


def test_faster_whisper_is_chosen_and_configured_by_settings(settings, tmp_path):
    settings.TRANSCRIPT_ENGINE = "faster-whisper"
    settings.WHISPER_MODEL_DIR = str(tmp_path)
    settings.WHISPER_COMPUTE_TYPE = "float16"
    settings.TRANSCRIPT_LANGUAGE = "hi"

    engine = engine_from_settings()

    assert isinstance(engine, FasterWhisperEngine)
    assert engine.model_dir == str(tmp_path)
    assert (engine.compute_type, engine.language) == ("float16", "hi")


def test_faster_whisper_without_its_package_fails_the_transcript_clearly(
    settings, tmp_path
):
    settings.TRANSCRIPT_ENGINE = "faster-whisper"
    settings.WHISPER_MODEL_DIR = str(tmp_path)
    answer = _answer_with(spoken_webm(), state=AnswerState.PROCESSED)

    transcript = make_transcript(answer)

    assert transcript.state == TranscriptState.FAILED
    assert transcript.engine == "faster-whisper"
    assert "faster-whisper package is not installed" in transcript.error


def test_faster_whisper_refuses_a_missing_model_directory(tmp_path, monkeypatch):
    # A stand-in for the package (not installed here), so that the check of
    # the directory is reached.
    package = types.ModuleType("faster_whisper")
    package.WhisperModel = object
    monkeypatch.setitem(sys.modules, "faster_whisper", package)
    engine = FasterWhisperEngine(str(tmp_path / "no-such-model"))
    with pytest.raises(TranscriptConfigError, match="WHISPER_MODEL_DIR .* is not a"):
        engine.transcribe(tmp_path / "speech.wav")


def test_the_site_refuses_faster_whisper_without_a_model_directory():
    environment = {
        **os.environ,
        "TRANSCRIPT_ENGINE": "faster-whisper",
        "WHISPER_MODEL_DIR": "",
        "DEBUG": "True",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "TRANSCRIPT_ENGINE=faster-whisper needs WHISPER_MODEL_DIR" in result.stderr


Word = namedtuple("Word", "start end word probability")
Segment = namedtuple("Segment", "start end text words")


def test_faster_whisper_segments_become_our_words():
    segments = iter(  # faster-whisper yields its segments lazily
        [
            Segment(0.0, 1.2, " Hello world.", [
                Word(0.0, 0.48, " Hello", 0.9), Word(0.5, 1.2, " world.", 0.8),
            ]),
            Segment(1.5, 2.0, " ", []),
            Segment(2.0, 2.71, " Thanks", [Word(2.004, 2.706, " Thanks", 0.7)]),
        ]
    )  # fmt: skip

    text, words = words_from_whisper_segments(segments)

    assert text == "Hello world. Thanks"
    assert words == [("Hello", 0.0, 0.48), ("world.", 0.5, 1.2), ("Thanks", 2.0, 2.71)]
