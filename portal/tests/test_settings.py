import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(env_overrides, *args):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not k.startswith("SECURE_")
        and not k.endswith("_COOKIE_SECURE")
    }
    env.update(
        env_overrides,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_READ_DOT_ENV_FILE="False",
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_the_development_secret_key():
    from portal.settings import DEVELOPMENT_SECRET_KEY

    result = _run({"DEBUG": "False", "SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_missing_secret_key():
    result = _run({"DEBUG": "False"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_deploy_check_passes_with_only_the_three_settings():
    result = _run(
        {
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "portal.example.com",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def dotenv_from_make_run():
    """The checkout's .env as `make run` writes it (made for the test if absent)."""
    dotenv = ROOT / ".env"
    made = not dotenv.exists()
    if made:
        subprocess.run(["make", "-s", ".env"], cwd=ROOT, check=True, timeout=60)
    yield dotenv
    if made:
        dotenv.unlink()


def test_the_tests_never_read_the_dotenv_that_make_run_writes(dotenv_from_make_run):
    assert "SECURE_HSTS_SECONDS=0" in dotenv_from_make_run.read_text()
    # As a test's subprocess starts it: with the test process's environment.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    env.pop("SECURE_HSTS_SECONDS")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SECURE_HSTS_SECONDS)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split()[-1] == "31536000", result.stderr


def _setting(name, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="portal.settings")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from django.conf import settings; print(settings.{name})",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        return result.stdout + result.stderr
    return result.stdout.split()[-1]


def test_site_url_follows_port_when_unset():
    assert _setting("SITE_URL", {"PORT": "8310"}) == "http://127.0.0.1:8310"
    assert _setting("SITE_URL", {}) == "http://127.0.0.1:8000"
    assert (
        _setting("SITE_URL", {"PORT": "8310", "SITE_URL": "https://portal.example/"})
        == "https://portal.example"
    )


def test_logs_are_json_in_production_and_plain_in_development():
    assert _setting("LOG_FORMAT", {"DEBUG": "False"}) == "json"
    assert _setting("LOG_FORMAT", {"DEBUG": "True"}) == "plain"
    assert _setting("LOG_FORMAT", {"DEBUG": "False", "LOG_FORMAT": "plain"}) == "plain"
    assert "LOG_FORMAT must be json or plain" in _setting(
        "LOG_FORMAT", {"LOG_FORMAT": "xml"}
    )


def test_sentry_is_imported_only_when_sentry_dsn_is_set():
    code = "import sys; print('sentry_sdk' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split()[-1] == "False", result.stderr


# ---- Signed media links behind nginx (issue 15) ----


def _production(**overrides):
    return {
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.com",
        **overrides,
    }


def test_signed_media_links_need_nginx():
    result = _run(_production(MEDIA_SIGNED_LINKS="True"), "check")
    assert result.returncode != 0
    assert "MEDIA_SIGNED_LINKS needs nginx" in result.stderr


@pytest.mark.parametrize("secret", ["short", "x" * 31 + "$", "x" * 31 + '"'])
def test_a_media_link_secret_nginx_could_misread_is_refused(secret):
    result = _run(_production(MEDIA_LINK_SECRET=secret), "check")
    assert result.returncode != 0
    assert "MEDIA_LINK_SECRET must be" in result.stderr


def test_the_media_link_secret_is_never_the_secret_key():
    key = secrets.token_urlsafe(50)
    result = _run(_production(SECRET_KEY=key, MEDIA_LINK_SECRET=key), "check")
    assert result.returncode != 0
    assert "MEDIA_LINK_SECRET must be" in result.stderr
