"""django-mongodb-backend, plus a wait where PostgreSQL would wait on a row lock.

Two transactions writing the same document (two approvers deciding one payment,
two tabs inserting under one unique index) do not queue on MongoDB as they do
on PostgreSQL: the second write fails at once with a WriteConflict, labelled
TransientTransactionError, and aborts its transaction. MongoDB's answer is to
run the transaction again. When the conflict hits the transaction's *first*
write, nothing of it is lost by doing so here: the transaction is restarted and
the write sent again after a short wait, until the other one has committed (or
given up). The conditional UPDATE then finds the status already changed and
changes nothing, or the insert meets the unique index: one winner, as on SQL.
A conflict after a write of the same transaction still fails it (DatabaseError).

And two repairs of django-mongodb-backend 5.2.4's Count(distinct=True): over no
rows it takes the $size of a set that is missing, which the server refuses (read
as the empty set instead); with a filter it collects 1 for every matching row
instead of the value, so it counted at most one (it collects the value).
"""

import random
import time

from django.db.models import Count
from django.db.models.expressions import Case, When
from django_mongodb_backend import aggregates as mongo_aggregates
from django_mongodb_backend import compiler as mongo_compiler
from django_mongodb_backend.base import DatabaseWrapper as MongoDatabaseWrapper
from django_mongodb_backend.query_utils import process_lhs
from pymongo.errors import OperationFailure

WRITES = {"insert_many", "insert_one", "update_many", "update_one", "delete_many"}
WAIT_SECONDS = 10.0


class _WaitingCollection:
    def __init__(self, collection, connection):
        self._collection = collection
        self._connection = connection

    def __getattr__(self, name):
        attribute = getattr(self._collection, name)
        if name not in WRITES:
            return attribute
        return lambda *args, **kwargs: self._write(attribute, args, kwargs)

    def _write(self, method, args, kwargs):
        connection = self._connection
        deadline = time.monotonic() + WAIT_SECONDS
        pause = 0.005
        while True:
            try:
                result = method(*args, **kwargs)
            except OperationFailure as error:
                session = connection.session
                if (
                    session is None
                    or connection.wrote_in_transaction
                    or not error.has_error_label("TransientTransactionError")
                    or time.monotonic() > deadline
                ):
                    raise
                session.abort_transaction()
                time.sleep(pause * (1 + random.random()))  # noqa: S311
                pause = min(pause * 2, 0.2)
                session.start_transaction()
                continue
            if connection.session is not None:
                connection.wrote_in_transaction = True
            return result


class DatabaseWrapper(MongoDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wrote_in_transaction = False

    def get_collection(self, name, **kwargs):
        return _WaitingCollection(super().get_collection(name, **kwargs), self)

    def start_transaction_mongo(self):
        super().start_transaction_mongo()
        self.wrote_in_transaction = False


_build_aggregation_pipeline = mongo_compiler.SQLCompiler._build_aggregation_pipeline


def _aggregation_pipeline_with_empty_sets(self, ids, group):
    pipeline = _build_aggregation_pipeline(self, ids, group)
    if not ids:  # [$facet, $addFields reading the one group, if any]
        fields = pipeline[1]["$addFields"]
        for key, accumulator in group.items():
            if isinstance(accumulator, dict) and "$addToSet" in accumulator:
                fields[key] = {"$ifNull": [fields[key], []]}
    return pipeline


mongo_compiler.SQLCompiler._build_aggregation_pipeline = (
    _aggregation_pipeline_with_empty_sets
)


def _count(self, compiler, connection, resolve_inner_expression=False):
    if self.distinct and self.filter and resolve_inner_expression:
        # The value where the filter holds, else null (not counted).
        node = self.copy()
        node.filter = None
        source, *rest = node.get_source_expressions()
        node.set_source_expressions([Case(When(self.filter, then=source)), *rest])
        return process_lhs(node, compiler, connection, as_expr=True)
    return mongo_aggregates.count(
        self, compiler, connection, resolve_inner_expression=resolve_inner_expression
    )


Count.as_mql_expr = _count
