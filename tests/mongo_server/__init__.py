"""The MongoDB test server: SecantusDB with two aggregation bugs fixed.

No real mongod can be installed here, so the MongoDB runs of the suite use
SecantusDB (the `secantus` package), which speaks the wire protocol and
advertises a single-node replica set named "secantus", enough for sessions and
multi-document transactions. Two of its aggregation stages read a nested spec
differently from mongod, and django-mongodb-backend writes exactly those specs
for joins:

- `{$project: {sub: {f: 1}}}` gave `sub: {f: 1}`, the literal, where mongod
  reads it as `{"sub.f": 1}` and returns the value (values_list across a join);
- `{$addFields: {sub: {f: expr}}}` (and `$set`) replaced the embedded document
  `sub` with `{f: ...}`, where mongod reads it as `{"sub.f": expr}` and merges
  into it (select_related + order_by on a related field).

mongod parses a nested field spec and its dotted spelling into the same tree,
and SecantusDB already implements the dotted spelling, so the fix rewrites the
one into the other before the stock stage runs. tests/mongo_server/test_fixes.py
pins both fixes and checks that the stock server still has the bugs: when a
`test_stock_server_still_*` test fails, upstream has fixed it and the fix can go.

Run it: `.venv/bin/python -m tests.mongo_server --port 27017 --dbpath DIR`
(see README.md next to this file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REPLICA_SET = "secantus"
FIXED_STAGES = ("$project", "$addFields", "$set")


def uri_for(port: int, host: str = "127.0.0.1") -> str:
    """The client URI: one node, reached directly, without retryable writes
    (they slow SecantusDB down as it runs)."""
    return f"mongodb://{host}:{port}/?directConnection=true&retryWrites=false"


def _is_nested_spec(value: Any) -> bool:
    # mongod: an object whose field names start with "$" is an expression
    # (`{$toUpper: "$name"}`); any other non-empty object is a nested spec.
    # An empty one is left to the stock stage, which answers as it always has.
    return (
        isinstance(value, Mapping)
        and bool(value)
        and not any(str(key).startswith("$") for key in value)
    )


def flatten_nested_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`{sub: {f: 1, g: {$toUpper: "$x"}}}` -> `{"sub.f": 1, "sub.g": {...}}`."""
    flat: dict[str, Any] = {}
    for key, value in spec.items():
        if _is_nested_spec(value):
            for sub_key, sub_value in flatten_nested_spec(value).items():
                flat[f"{key}.{sub_key}"] = sub_value
        else:
            flat[key] = value
    return flat


def flatten_project_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """As `flatten_nested_spec`; a nested `_id` that includes or computes
    something also drops the default `_id`, as in mongod, where
    `{_id: {c: "$x"}}` gives `_id: {c: ...}` and not the old `_id` plus `c`."""
    flat = flatten_nested_spec(spec)
    if _is_nested_spec(spec.get("_id")) and any(
        value not in (0, False) for key, value in flat.items() if key.startswith("_id.")
    ):
        flat["_id"] = 0
    return flat


def _reading_nested_specs_as_dotted(stock_stage, flatten):
    def stage(spec, docs, ctx):
        if isinstance(spec, Mapping):
            spec = flatten(spec)
        return stock_stage(spec, docs, ctx)

    stage.stock_stage = stock_stage
    return stage


def apply_fixes() -> None:
    """Patch SecantusDB's stage table in this process (idempotent). Every
    pipeline, including `$lookup`/`$facet` sub-pipelines and pipeline updates,
    dispatches through it."""
    from secantus import aggregate

    for name in FIXED_STAGES:
        stock_stage = aggregate._STAGES[name]
        if not hasattr(stock_stage, "stock_stage"):
            flatten = (
                flatten_project_spec if name == "$project" else flatten_nested_spec
            )
            aggregate._STAGES[name] = _reading_nested_specs_as_dotted(
                stock_stage, flatten
            )
