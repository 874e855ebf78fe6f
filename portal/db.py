"""The transaction helpers every app module uses (issue 18), and the health ping.

On SQLite and PostgreSQL `atomic` and `on_commit` are Django's. On MongoDB
Django's `atomic` does nothing (the backend declares no transactions), so there
they are django-mongodb-backend's: one multi-document transaction per outermost
block, rolled back on an exception, with `on_commit` callbacks run after it
commits. That backend has no savepoints: an inner block does not roll back on
its own, and a failed write (an IntegrityError) aborts the whole transaction.
So no code may catch an error inside a block and carry on writing in it; catch
it outside the outermost block instead.

portal/tests/test_db.py fails when app code imports django.db.transaction.
"""

import time

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django_mongodb_backend import transaction as mongo_transaction

__all__ = ["atomic", "on_commit", "in_transaction", "is_mongodb", "ping"]


def is_mongodb(using=None):
    return connections[using or DEFAULT_DB_ALIAS].vendor == "mongodb"


def atomic(using=None):
    """`with atomic():` or `@atomic`: all of the block's writes, or none."""
    if callable(using):  # bare decorator
        return atomic()(using)
    if is_mongodb(using):
        return mongo_transaction.atomic(using)
    return transaction.atomic(using)


def in_transaction(using=None):
    """Whether an atomic block is open (one of ours on MongoDB, any on SQL)."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    if connection.vendor == "mongodb":
        return connection.in_atomic_block_mongo
    return connection.in_atomic_block


def on_commit(func, using=None, robust=False):
    """Run `func` once the current transaction commits (at once outside one).

    Django's function calls the connection's `on_commit`, which the MongoDB
    backend overrides to wait for its own transaction."""
    transaction.on_commit(func, using=using, robust=robust)


def ping(using=None):
    """Ask the database to answer; return the round trip in milliseconds."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    started = time.perf_counter()
    if connection.vendor == "mongodb":
        connection.database.command("ping")  # its cursor() is a stub
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return round((time.perf_counter() - started) * 1000, 2)
