"""The remux task on real recordings made by ffmpeg: a WebM written to a pipe
(no cues, as MediaRecorder writes it) and a fragmented MP4 (as Safari does)."""

import json
import shutil
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from interviews.factories import AnswerFactory, webm_bytes
from interviews.models import AnswerState
from interviews.tasks import process_answer
from interviews.tests.room_helpers import open_interview, stored_answer_files
from portal.storage import unguessable_name
from portal.tests.files import fetch

pytestmark = [
    pytest.mark.skipif(
        not shutil.which("ffmpeg"), reason="ffmpeg is installed by .ci/run"
    ),
    pytest.mark.usefixtures("immediate_tasks"),
]

CUES_ID = b"\x1c\x53\xbb\x6b"
SOURCES = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=15"]
SOURCES += ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "3", "-g", "15"]


def _record(codecs, container):
    """Three seconds of test picture and tone, written to a pipe like a live
    recorder: the muxer cannot go back to write an index."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", *SOURCES, *codecs, *container, "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout


def webm_without_cues():
    return _record(
        ["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus"], ["-f", "webm"]
    )


def fragmented_mp4():
    return _record(
        ["-c:v", "libx264", "-c:a", "aac"],
        ["-movflags", "frag_keyframe+empty_moov", "-f", "mp4"],
    )


def _probe(path, *extra):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *extra, str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(out)


def _frame_time_after_seeking(path, seconds):
    """The time of the first video frame ffprobe reads after seeking."""
    info = _probe(
        path,
        "-select_streams",
        "v",
        "-read_intervals",
        f"{seconds}%+#1",
        "-show_entries",
        "frame=pts_time",
    )
    return float(info["frames"][0]["pts_time"])


def _uploaded_answer(student, body, content_type, extension):
    interview = open_interview(student, questions=1)
    return AnswerFactory(
        request=interview,
        question=interview.course.questions.get(),
        state=AnswerState.UPLOADED,
        content_type=content_type,
        duration_seconds=None,
        file=ContentFile(body, name=unguessable_name("answers", extension)),
        size=len(body),
    )


def _top_level_boxes(data):
    boxes, position = [], 0
    while position + 8 <= len(data):
        size = int.from_bytes(data[position : position + 4], "big")
        boxes.append(data[position + 4 : position + 8].decode("latin-1"))
        if size < 8:
            break
        position += size
    return boxes


def _local_copy(field_file, folder):
    """ffprobe needs a path: the stored file (on disk or in the bucket) copied."""
    path = folder / field_file.name.rsplit("/", 1)[-1]
    with field_file.open("rb") as stored:
        path.write_bytes(stored.read())
    return path


def test_a_webm_without_cues_gets_a_duration_cues_and_a_poster(
    student, django_capture_on_commit_callbacks, tmp_path
):
    body = webm_without_cues()
    assert CUES_ID not in body
    answer = _uploaded_answer(student, body, "video/webm", "webm")
    original = answer.file.name

    with django_capture_on_commit_callbacks(execute=True):
        process_answer(answer.pk)

    answer.refresh_from_db()
    assert answer.state == AnswerState.PROCESSED
    assert answer.duration_seconds == pytest.approx(3.0, abs=0.2)
    assert answer.file.name != original
    path = _local_copy(answer.file, tmp_path)
    with open(path, "rb") as fixed:
        assert CUES_ID in fixed.read()
    assert float(_probe(path, "-show_format")["format"]["duration"]) == pytest.approx(
        3.0, abs=0.2
    )
    assert _frame_time_after_seeking(path, 2.5) == pytest.approx(2.0, abs=0.5)
    assert answer.size == answer.file.size
    assert answer.poster.name.endswith(".jpg")
    with answer.poster.open("rb") as poster:
        assert poster.read(3) == b"\xff\xd8\xff"  # a JPEG
    names = {p.name for p in stored_answer_files()}
    assert original.rsplit("/", 1)[-1] not in names  # the unfixed file is gone


def test_a_fragmented_mp4_is_moved_to_faststart(
    student, django_capture_on_commit_callbacks, tmp_path
):
    body = fragmented_mp4()
    assert "moof" in _top_level_boxes(body)
    answer = _uploaded_answer(student, body, "video/mp4", "mp4")

    with django_capture_on_commit_callbacks(execute=True):
        process_answer(answer.pk)

    answer.refresh_from_db()
    assert answer.state == AnswerState.PROCESSED
    assert answer.duration_seconds == pytest.approx(3.0, abs=0.3)
    with answer.file.open("rb") as fixed:
        boxes = _top_level_boxes(fixed.read())
    assert "moof" not in boxes
    assert boxes.index("moov") < boxes.index("mdat")
    seekable = _local_copy(answer.file, tmp_path)
    assert _frame_time_after_seeking(seekable, 2.5) == pytest.approx(2.0, abs=0.5)
    assert answer.poster


def test_a_file_ffprobe_cannot_read_is_marked_failed_and_kept(student):
    answer = _uploaded_answer(student, webm_bytes(5000), "video/webm", "webm")
    original = answer.file.name

    process_answer(answer.pk)

    answer.refresh_from_db()
    assert answer.state == AnswerState.FAILED
    assert answer.processing_error
    assert answer.file.name == original  # the approver can still download it
    assert not answer.poster


def test_an_answer_still_recording_is_not_processed(student):
    answer = _uploaded_answer(student, webm_without_cues(), "video/webm", "webm")
    type(answer).objects.filter(pk=answer.pk).update(state=AnswerState.RECORDING)

    process_answer(answer.pk)

    answer.refresh_from_db()
    assert answer.state == AnswerState.RECORDING
    assert not answer.poster


def test_the_poster_is_served_to_its_student_only(
    client, student, other_student, django_capture_on_commit_callbacks
):
    answer = _uploaded_answer(student, webm_without_cues(), "video/webm", "webm")
    process_answer(answer.pk)
    url = reverse("interviews:answer_poster", args=[answer.public_id])

    client.force_login(student)
    served = fetch(client, url)
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Cache-Control"] == "private, no-store"
    assert served.body[:3] == b"\xff\xd8\xff"

    client.force_login(other_student)
    assert client.get(url).status_code == 404


def test_finishing_a_take_queues_the_fix(
    student_client, student, django_capture_on_commit_callbacks
):
    from interviews.tests.room_helpers import post_chunk, post_finish

    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    body = webm_without_cues()
    size = len(body) // 3
    parts = [body[:size], body[size : 2 * size], body[2 * size :]]
    offset = 0
    for part in parts:
        post_chunk(student_client, interview, question, part, offset=offset)
        offset += len(part)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_finish(student_client, interview, question, offset)

    assert response.json()["completed"] is True
    answer = interview.answers.get()
    assert answer.state == AnswerState.PROCESSED
    assert answer.duration_seconds == pytest.approx(3.0, abs=0.2)


def test_an_mp4_sent_in_chunks_is_known_by_its_content_and_fixed(
    student_client, student, django_capture_on_commit_callbacks
):
    """Safari's recording: nothing but its bytes says it is an MP4."""
    from interviews.tests.room_helpers import send_answer

    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    body = fragmented_mp4()

    with django_capture_on_commit_callbacks(execute=True):
        response = send_answer(
            student_client, interview, question, body, chunk_bytes=len(body) // 3 + 1
        )

    assert response.status_code == 200
    answer = interview.answers.get()
    assert answer.content_type == "video/mp4"
    assert answer.file.name.endswith(".mp4")
    assert answer.state == AnswerState.PROCESSED, answer.processing_error
    assert answer.duration_seconds == pytest.approx(3.0, abs=0.3)
    with answer.file.open("rb") as fixed:
        boxes = _top_level_boxes(fixed.read())
    assert boxes.index("moov") < boxes.index("mdat")
    assert answer.poster
