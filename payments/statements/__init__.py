"""Reading bank statements and UPI settlement reports into credit lines.

`read_statement(name, content, mapping)` returns a ParsedStatement or raises
StatementRefused with a message for the import page. Nothing here touches the
database; payments/reconcile.py stores and matches.
"""

from payments.statements.layouts import Credit, ParsedStatement, parse_rows
from payments.statements.reading import StatementRefused, read_rows


def read_statement(name, content, mapping=None):
    rows = read_rows(name, content)
    return parse_rows(rows, mapping)


__all__ = ["Credit", "ParsedStatement", "StatementRefused", "read_statement"]
