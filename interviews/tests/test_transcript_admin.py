"""The console's transcripts (issue 16, item 9): failures listed, and
"transcribe again" running the task."""

import shutil

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from interviews.factories import AnswerFactory
from interviews.models import AnswerState, Transcript, TranscriptState
from interviews.tests.speech import spoken_webm
from portal.storage import unguessable_name

pytestmark = [
    pytest.mark.skipif(
        not (shutil.which("ffmpeg") and shutil.which("espeak-ng")),
        reason="ffmpeg and espeak-ng are Debian packages (.ci/run installs them)",
    ),
    pytest.mark.django_db,
]

CHANGELIST = reverse("admin:interviews_transcript_changelist")


@pytest.fixture
def failed():
    body = spoken_webm()
    answer = AnswerFactory(
        file=ContentFile(body, name=unguessable_name("answers", "webm")),
        size=len(body),
        state=AnswerState.PROCESSED,
    )
    return Transcript.objects.create(
        answer=answer,
        source_name=answer.file.name,
        state=TranscriptState.FAILED,
        engine="faster-whisper",
        error="the faster-whisper package is not installed",
    )


def test_superusers_see_which_transcripts_failed_and_why(superuser_client, failed):
    response = superuser_client.get(CHANGELIST, {"state__exact": "failed"})

    assert response.status_code == 200
    assert "the faster-whisper package is not installed" in response.content.decode()


@pytest.mark.usefixtures("immediate_tasks")
def test_transcribe_again_replaces_a_failure_with_the_words(
    superuser_client, failed, settings
):
    settings.TRANSCRIPT_ENGINE = "pocketsphinx"

    response = superuser_client.post(
        CHANGELIST,
        {"action": "transcribe_again", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert "1 answer queued to be transcribed again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == TranscriptState.DONE
    assert failed.engine == "pocketsphinx"
    assert failed.words and not failed.error


def test_approvers_without_the_permission_do_not_see_the_list(approver_client):
    assert approver_client.get(CHANGELIST).status_code == 403
