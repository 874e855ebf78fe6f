"""portal.db is the one way app code opens a transaction (issue 18)."""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

from portal import db

ALLOWED = {Path(db.__file__).resolve()}


def _app_modules():
    """Every module of the project's own apps, but their tests and migrations."""
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        root = Path(config.path).resolve()
        if base not in root.parents or "site-packages" in root.parts:
            continue  # Django's and third-party apps (also a .venv in the checkout)
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).parts
            if {"tests", "migrations", "mongo_migrations"} & set(parts[:-1]):
                continue
            yield path


def _imports_django_transaction(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module == "django.db" and any(
                alias.name == "transaction" for alias in node.names
            ):
                return True
            if node.module and node.module.startswith("django.db.transaction"):
                return True
        elif isinstance(node, ast.Import):
            if any(a.name.startswith("django.db.transaction") for a in node.names):
                return True
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "transaction"
            and ast.unparse(node.value) == "django.db"
        ):
            return True
    return False


def test_app_code_uses_portal_db_for_transactions():
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in _app_modules()
        if path.resolve() not in ALLOWED
        and _imports_django_transaction(ast.parse(path.read_text(), str(path)))
    ]

    assert offenders == [], (
        "Use portal.db.atomic / portal.db.on_commit, not django.db.transaction "
        "(it does nothing on MongoDB): " + ", ".join(offenders)
    )


def test_the_check_sees_every_kind_of_import():
    for source in [
        "from django.db import IntegrityError, transaction",
        "from django.db.transaction import atomic",
        "import django.db.transaction",
        "import django.db\ndjango.db.transaction.atomic()",
    ]:
        assert _imports_django_transaction(ast.parse(source)), source
    assert not _imports_django_transaction(
        ast.parse("from portal.db import atomic, on_commit")
    )


def test_it_checks_the_apps_that_exist():
    found = {p.relative_to(settings.BASE_DIR).parts[0] for p in _app_modules()}
    assert {"accounts", "payments", "interviews", "portal"} <= found
