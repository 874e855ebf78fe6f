"""Answers with speech and their real transcripts (issue 16, item 9), for the
transcript journey, its accessibility check and the screenshots."""

from django.core.files.base import ContentFile

from interviews.models import Answer, AnswerState
from interviews.tasks import fix_recording
from interviews.tests.speech import spoken_webm
from interviews.transcripts import PocketSphinxEngine, make_transcript
from portal.storage import private_storage, unguessable_name

SENTENCES = [
    "hello world this is a mock interview answer",
    "one two three four five six seven eight nine ten",
]


def transcribed(interview):
    """Give each answer of `interview` a spoken recording, processed and
    transcribed the way the task does it (with pocketsphinx, whatever the
    test settings say)."""
    storage = private_storage()
    answers = interview.answers.order_by("question__order", "question__id")
    for n, answer in enumerate(answers):
        body = spoken_webm(SENTENCES[n % len(SENTENCES)])
        name = storage.save(unguessable_name("answers", "webm"), ContentFile(body))
        Answer.objects.filter(pk=answer.pk).update(
            file=name, size=len(body), state=AnswerState.UPLOADED
        )
        storage.delete(answer.file.name)
        answer.refresh_from_db()
        assert fix_recording(answer) == AnswerState.PROCESSED
        answer.refresh_from_db()
        assert make_transcript(answer, engine=PocketSphinxEngine()).words
    return interview
