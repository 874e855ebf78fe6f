"""Tests of data migrations: the database as it was at some migrations, then
migrated forward to today's, as a deploy would."""

import contextlib
from types import SimpleNamespace

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@contextlib.contextmanager
def migrated_back_to(targets):
    """The database migrated back to `targets` ([(app, migration), ...]) for
    the block: `.apps` holds the models of that moment, `.forward()` migrates
    to today's leaf migrations, and leaving the block always does."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    moment = SimpleNamespace(
        apps=executor.loader.project_state(targets).apps,
        forward=lambda: MigrationExecutor(connection).migrate(leaves),
    )
    try:
        yield moment
    finally:
        moment.forward()
