"""The routes in docs/operations.md, run for real: back up, restore into an empty
database and an empty media folder, and find every row and every file intact."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from interviews.factories import AnswerFactory
from payments.factories import PaymentFactory
from portal.storage import private_storage
from portal.tests.files import local_disk_only

ROOT = Path(__file__).resolve().parents[2]
# The tar of MEDIA_ROOT/private in docs/operations.md is the local disk's backup;
# a bucket is backed up by its versioning or replication (README).
pytestmark = [pytest.mark.django_db(transaction=True), local_disk_only]

# Run inside the restored site: counts, and every file's bytes against the data.
VERIFY = """
import hashlib, json
from payments.models import Payment
from interviews.models import Answer
from accounts.models import User
out = {"users": sorted(User.objects.values_list("username", flat=True)), "files": {}}
for p in Payment.objects.all():
    out["files"][p.proof.name] = hashlib.sha256(p.proof.read()).hexdigest()
    out.setdefault("proof_ok", []).append(
        hashlib.sha256(p.proof.open("rb").read()).hexdigest() == p.proof_sha256)
for a in Answer.objects.all():
    out["files"][a.file.name] = hashlib.sha256(a.file.read()).hexdigest()
print("VERIFY " + json.dumps(out, sort_keys=True))
"""


def _site(env_overrides, *args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _verify(env):
    result = _site(env, "shell", "-c", VERIFY)
    assert result.returncode == 0, result.stderr
    line = [x for x in result.stdout.splitlines() if x.startswith("VERIFY ")][-1]
    return json.loads(line[len("VERIFY ") :])


def _make_data():
    payments = PaymentFactory.create_batch(2)
    answer = AnswerFactory()
    files = {p.proof.name: p.proof for p in payments}
    files[answer.request.payment.proof.name] = answer.request.payment.proof
    files[answer.file.name] = answer.file
    expected = {
        name: hashlib.sha256(private_storage().open(name).read()).hexdigest()
        for name in files
    }
    from accounts.models import User

    users = sorted(User.objects.values_list("username", flat=True))
    return users, expected


def _tar_media(tmp_path, names):
    # Only this test's files: the shared test media folder holds others' too.
    archive = tmp_path / "media.tar.gz"
    subprocess.run(
        ["tar", "-C", private_storage().location, "-czf", archive, *names],
        check=True,
    )
    restored = tmp_path / "restored-media"
    (restored / "private").mkdir(parents=True)
    subprocess.run(["tar", "-C", restored / "private", "-xzf", archive], check=True)
    return restored


def _check_restored(env, users, expected):
    env = {**env, "FILE_UPLOAD_TEMP_DIR": str(Path(env["MEDIA_ROOT"]).parent)}
    data = _verify(env)
    assert data["users"] == users
    assert data["files"] == expected
    assert all(data["proof_ok"])
    result = _site(env, "check_media", "--min-age-minutes", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Media and records match." in result.stdout
    result = _site(env, "migrate", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite route, on a SQLite test run"
)
def test_a_sqlite_backup_restores_into_an_empty_folder(tmp_path):
    users, expected = _make_data()
    backup = tmp_path / "backup.sqlite3"
    # The online backup API (what `sqlite3 db ".backup ..."` uses), WAL-safe.
    connection.ensure_connection()
    target = sqlite3.connect(backup)
    connection.connection.backup(target)
    target.close()

    restored_db = tmp_path / "restored" / "db.sqlite3"
    restored_db.parent.mkdir()
    restored_db.write_bytes(backup.read_bytes())
    media = _tar_media(tmp_path, list(expected))
    env = {"DATABASE_URL": f"sqlite:///{restored_db}", "MEDIA_ROOT": str(media)}
    _check_restored(env, users, expected)


@pytest.mark.sql_only("loads into SQLite; dumps do not cross MongoDB and SQL")
def test_dumpdata_loads_into_an_empty_database(tmp_path):
    users, expected = _make_data()
    dump = tmp_path / "data.json"
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--natural-primary",
        "-e",
        "contenttypes",
        "-e",
        "auth.permission",
        "-e",
        "sessions",
        "-e",
        "admin.logentry",
        "-o",
        str(dump),
        verbosity=0,
    )
    media = _tar_media(tmp_path, list(expected))
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "MEDIA_ROOT": str(media),
    }
    for args in (("migrate", "--noinput"), ("loaddata", str(dump))):
        result = _site(env, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    _check_restored(env, users, expected)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL route needs PostgreSQL"
)
def test_a_postgres_dump_restores_into_an_empty_database(tmp_path):
    users, expected = _make_data()
    params = connection.get_connection_params()
    host, port = params.get("host") or "127.0.0.1", str(params.get("port") or 5432)
    user = params.get("user") or "postgres"
    source = connection.settings_dict["NAME"]
    base = f"postgres://{user}@{host}:{port}"
    dump = tmp_path / "db.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-d", f"{base}/{source}", "-f", dump],
        check=True,
    )
    restored = f"restore_{uuid.uuid4().hex[:12]}"
    subprocess.run(
        ["createdb", "-h", host, "-p", port, "-U", user, restored], check=True
    )
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "-d",
                f"{base}/{restored}",
                dump,
            ],
            check=True,
        )
        media = _tar_media(tmp_path, list(expected))
        env = {"DATABASE_URL": f"{base}/{restored}", "MEDIA_ROOT": str(media)}
        _check_restored(env, users, expected)
    finally:
        subprocess.run(
            ["dropdb", "-h", host, "-p", port, "-U", user, "--if-exists", restored],
            check=False,
        )
