"""List the lab's customers: the reader.

Usage: read_data.py [--database PATH] [--json] [--integrity-check]

The database is opened read-only through a mode=ro URI, so the reader works on a volume
mounted read-only and never creates, changes or deletes a file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

import lab_db
from lab_db import LabError


class CustomerReport(NamedTuple):
    """Customers read from one database, and the integrity check result if one ran."""

    database: str
    integrity: str | None  # "ok", or None when --integrity-check was not given
    customers: list[dict[str, Any]]


def build_parser(language: str) -> lab_db.LabArgumentParser:
    parser = lab_db.LabArgumentParser(
        language,
        prog="read_data.py",
        description=lab_db.format_message("read_description", language),
    )
    lab_db.add_common_arguments(parser)
    parser.add_argument(
        "--integrity-check",
        action="store_true",
        help=lab_db.format_message("help_integrity_check", language),
    )
    return parser


def check_database_file(path: str) -> None:
    """Raise LabError for a missing file (3), a hot journal (8) or a non-SQLite file (5).

    The journal is checked before the content because over a read-only connection, which
    cannot roll the interrupted write back, SQLite fails with SQLITE_READONLY_ROLLBACK.
    """
    # os.path.exists() is also False for a file in a folder that this user may not search.
    try:
        os.stat(path)
    except FileNotFoundError:
        raise LabError(lab_db.EXIT_DATABASE_NOT_FOUND, "database_not_found", path=path) from None
    except PermissionError as error:
        raise LabError(
            lab_db.EXIT_SQLITE_ERROR, "database_unreadable", path=path, error=error.strerror
        ) from None

    if lab_db.has_hot_journal(path):
        raise LabError(
            lab_db.EXIT_HOT_JOURNAL, "hot_journal", path=path, journal=lab_db.journal_path(path)
        )

    lab_db.check_is_database_file(path)


def run_integrity_check(connection: sqlite3.Connection, path: str) -> str:
    """Run PRAGMA integrity_check and return "ok", or raise LabError (exit code 5)."""
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        details = lab_db.format_integrity_details(rows)
        raise LabError(lab_db.EXIT_NOT_A_DATABASE, "integrity_failed", path=path, details=details)
    return "ok"


def fetch_customers(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = connection.execute("SELECT id, name, created_at FROM customers ORDER BY id")
    return [{"id": row[0], "name": row[1], "created_at": row[2]} for row in rows]


def read_customers(path: str, integrity_check: bool, language: str) -> CustomerReport:
    """Read all customers, after checking the file, the table's shape and optionally integrity."""
    check_database_file(path)

    with lab_db.open_read_only(path) as connection:
        shape = lab_db.read_table_shape(connection)
        if shape is None:
            raise LabError(lab_db.EXIT_TABLE_NOT_FOUND, "table_not_found", path=path)
        lab_db.check_table_shape(shape, path, language)

        integrity = run_integrity_check(connection, path) if integrity_check else None
        customers = fetch_customers(connection)

    return CustomerReport(path, integrity, customers)


def print_report(report: CustomerReport, as_json: bool, language: str) -> None:
    if as_json:
        document = {
            "database": report.database,
            "count": len(report.customers),
            "integrity": report.integrity,
            "customers": report.customers,
        }
        # ASCII escapes keep the output intact through Docker's json-file log driver, which
        # splits lines longer than 16 KiB at byte offsets and replaces the halves of a split
        # UTF-8 character with U+FFFD. The playbooks read --json output from those logs.
        print(json.dumps(document, ensure_ascii=True))
        return

    for customer in report.customers:
        print(f"{customer['id']}\t{customer['name']}\t{customer['created_at']}")
    print(
        lab_db.format_message(
            "customer_count", language, count=len(report.customers), path=report.database
        )
    )
    if report.integrity is not None:
        print(lab_db.format_message("integrity_ok", language, path=report.database))


def main(argv: Sequence[str] | None = None) -> int:
    lab_db.use_utf8_output()
    language = lab_db.detect_language()
    args = build_parser(language).parse_args(argv)

    try:
        path = lab_db.resolve_database_path(args.database)
        report = read_customers(path, args.integrity_check, language)
    except LabError as error:
        lab_db.print_error(error, language)
        return error.exit_code

    print_report(report, args.json, language)
    return lab_db.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
