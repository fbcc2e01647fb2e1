"""Insert customer names into the lab's SQLite database: the writer.

Usage: write_data.py [--database PATH] [--json] [--dry-run] [--names-file PATH] NAME...

All names are validated before the database is opened. They are then inserted with
INSERT OR IGNORE in one BEGIN IMMEDIATE transaction, so a failure or a kill part way through
leaves the database as it was. Opening the database rolls back a transaction that an earlier
writer left unfinished, as SQLite does for every read-write connection. A journal that SQLite
ignores, left by a writer killed before it changed the database file, is deleted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

import lab_db
from lab_db import LabError

# Counted in Unicode code points, as len() counts a str.
MAX_NAME_LENGTH = 200

# Unicode categories rejected in names: control (Cc), format (Cf), surrogate (Cs), and line and
# paragraph separator (Zl, Zp). Format characters include zero-width joiners and bidirectional
# marks, so emoji sequences joined by U+200D are rejected too. A lone surrogate cannot be
# encoded as UTF-8. Separators would split the reader's one-line-per-customer text output.
# Each category maps to the message key that names it.
REJECTED_CATEGORIES = {
    "Cc": "reason_control_character",
    "Cf": "reason_format_character",
    "Cs": "reason_surrogate",
    "Zl": "reason_line_separator",
    "Zp": "reason_paragraph_separator",
}

# An invalid seed file can contain thousands of bad entries. Listing the first ones is enough
# to show the pattern.
MAX_LISTED_INVALID_NAMES = 20


class NameEntry(NamedTuple):
    """One requested name, with where it came from, for error messages."""

    value: object
    names_file: str | None  # None for a command-line argument
    index: int  # 1-based position among the arguments or in the names file


class WriteResult(NamedTuple):
    """Result of a write or a dry run, printed as text or as JSON with the same keys."""

    database: str
    requested: int
    inserted: int
    total: int
    dry_run: bool


# Command line and names file


def build_parser(language: str) -> lab_db.LabArgumentParser:
    parser = lab_db.LabArgumentParser(
        language,
        prog="write_data.py",
        description=lab_db.format_message("write_description", language),
    )
    lab_db.add_common_arguments(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=lab_db.format_message("help_dry_run", language),
    )
    parser.add_argument(
        "--names-file",
        metavar="PATH",
        help=lab_db.format_message("help_names_file", language),
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=lab_db.format_message("help_names", language),
    )
    return parser


def json_type_name(value: object) -> str:
    """Return the JSON type of a value from a names file: null, boolean, number, and so on."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def load_names_file(path: str) -> list[object]:
    """Read a JSON array from path. Raises LabError (exit code 2) for any other content."""
    try:
        with open(path, encoding="utf-8") as names_file:
            content = json.load(names_file)
    except OSError as error:
        raise LabError(
            lab_db.EXIT_INVALID_ARGUMENTS,
            "names_file_unreadable",
            path=path,
            error=error.strerror or error,
        ) from error
    except ValueError as error:
        # json.JSONDecodeError and UnicodeDecodeError are both ValueError.
        raise LabError(
            lab_db.EXIT_INVALID_ARGUMENTS, "names_file_invalid", path=path, error=error
        ) from error

    if not isinstance(content, list):
        raise LabError(
            lab_db.EXIT_INVALID_ARGUMENTS,
            "names_file_not_array",
            path=path,
            type=json_type_name(content),
        )
    return content


def collect_entries(names: Sequence[str], names_file: str | None) -> list[NameEntry]:
    """Return the command-line names, then those of the names file, in request order."""
    entries = [NameEntry(name, None, index) for index, name in enumerate(names, start=1)]

    if names_file is not None:
        file_names = load_names_file(names_file)
        entries.extend(
            NameEntry(name, names_file, index) for index, name in enumerate(file_names, start=1)
        )

    if not entries:
        raise LabError(lab_db.EXIT_INVALID_ARGUMENTS, "no_names")
    return entries


# Name validation


def describe_origin(entry: NameEntry, language: str) -> str:
    if entry.names_file is None:
        return lab_db.format_message("origin_argument", language, index=entry.index)
    return lab_db.format_message("origin_file", language, index=entry.index, path=entry.names_file)


def describe_codepoint(character: str) -> str:
    """Return "U+200B ZERO WIDTH SPACE" for a character, or only "U+0009" when it has no name.

    Control characters and surrogates have no name in the Unicode Character Database.
    """
    codepoint = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "")
    return f"{codepoint} {name}" if name else codepoint


def find_name_problem(value: object) -> tuple[str, dict[str, object]] | None:
    """Return the message key and values of the first problem with one name, or None if valid.

    Names are checked and stored exactly as given, without Unicode normalization, so every
    name comes out byte for byte as it went in.
    """
    if not isinstance(value, str):
        return "reason_not_string", {"type": json_type_name(value)}

    name = value
    if not name.strip():
        return "reason_blank", {}
    if name != name.strip():
        return "reason_surrounding_whitespace", {}

    for character in name:
        reason = REJECTED_CATEGORIES.get(unicodedata.category(character))
        if reason is not None:
            return reason, {"codepoint": describe_codepoint(character)}

    if len(name) > MAX_NAME_LENGTH:
        return "reason_too_long", {"length": len(name), "maximum": MAX_NAME_LENGTH}

    return None


def validate_names(entries: Sequence[NameEntry], path: str, language: str) -> list[str]:
    """Return the names, or raise LabError (exit code 7) listing the invalid ones.

    Two entries are duplicates when they are the same string. "e" plus a combining acute accent
    and a precomposed "é" are different names, as they are to SQLite's UNIQUE constraint.
    """
    names: list[str] = []
    first_entries: dict[str, NameEntry] = {}
    problems: list[str] = []

    for entry in entries:
        problem = find_name_problem(entry.value)
        if problem is None:
            name = str(entry.value)
            first_entry = first_entries.setdefault(name, entry)
            if first_entry is not entry:
                first = describe_origin(first_entry, language)
                problem = ("reason_duplicate", {"first": first})
            else:
                names.append(name)

        if problem is not None:
            key, values = problem
            problems.append(
                lab_db.format_message(
                    "invalid_name",
                    language,
                    name=lab_db.quote_for_message(entry.value),
                    origin=describe_origin(entry, language),
                    reason=lab_db.format_message(key, language, **values),
                )
            )

    if problems:
        listed = problems[:MAX_LISTED_INVALID_NAMES]
        unlisted = len(problems) - len(listed)
        if unlisted:
            listed.append(lab_db.format_message("more_invalid_names", language, count=unlisted))
        raise LabError(
            lab_db.EXIT_INVALID_NAME, "invalid_names", listed="\n".join(listed), path=path
        )
    return names


# Database access


def check_folder_exists(path: str) -> None:
    """Raise LabError (exit code 9) when the folder that should contain the database is missing.

    The folder is the data volume's mount point, so the writer never creates it.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise LabError(lab_db.EXIT_SQLITE_ERROR, "folder_not_found", folder=folder, path=path)


def ensure_table(connection: sqlite3.Connection, path: str, language: str) -> None:
    """Create the customers table, or raise LabError (exit code 6) if it has another shape."""
    shape = lab_db.read_table_shape(connection)
    if shape is None:
        connection.execute(lab_db.CREATE_TABLE_SQL)
    else:
        lab_db.check_table_shape(shape, path, language)


def is_stored(connection: sqlite3.Connection, name: str) -> bool:
    row = connection.execute("SELECT 1 FROM customers WHERE name = ?", (name,)).fetchone()
    return row is not None


def insert_new_names(
    connection: sqlite3.Connection, names: Sequence[str], path: str, language: str
) -> int:
    """Insert the names that are not stored yet, and return how many were inserted.

    Raises LabError (exit code 6) when a constraint of the table rejects a name, which only
    happens with a table that the lab did not create.
    """
    inserted = 0
    for name in names:
        try:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO customers (name) VALUES (?)", (name,)
            )
        except sqlite3.IntegrityError as error:
            raise LabError(
                lab_db.EXIT_WRONG_SHAPE,
                "constraint_failed",
                path=path,
                name=lab_db.quote_for_message(name),
                error=error,
            ) from error

        # OR IGNORE also skips rows that fail a NOT NULL or CHECK constraint, and such a row
        # is then missing from the table instead of being a duplicate.
        if cursor.rowcount == 0 and not is_stored(connection, name):
            raise LabError(
                lab_db.EXIT_WRONG_SHAPE,
                "constraint_failed",
                path=path,
                name=lab_db.quote_for_message(name),
                error=lab_db.format_message("constraint_ignored", language),
            )
        inserted += cursor.rowcount

    return inserted


def remove_stale_journal(path: str) -> None:
    """Delete a rollback journal that SQLite ignored, such as one with a zeroed header.

    Call it right after BEGIN IMMEDIATE and before the first write of the transaction. SQLite
    has then rolled back any journal it found hot, and the RESERVED lock stops every other
    connection from writing a journal. SQLite would overwrite and delete a leftover journal at
    the first changed page, but a transaction that inserts nothing changes no page, so the file
    would stay and keep looking like the trace of an interrupted write.

    Two journals stay: one that has_hot_journal still reports as hot, so that this never deletes
    what a rollback needs, and any journal next to an empty database file. On an empty file,
    BEGIN IMMEDIATE itself changes page 1 and so opens this transaction's own journal, with
    a header that is still zeroed (seen with SQLite 3.40).

    Raises LabError (exit code 9) when the file cannot be deleted, because SQLite then cannot
    delete its own journals in that folder either.
    """
    journal = lab_db.journal_path(path)
    if os.path.getsize(path) == 0 or lab_db.has_hot_journal(path):
        return

    try:
        os.remove(journal)
    except FileNotFoundError:
        return
    except OSError as error:
        raise LabError(
            lab_db.EXIT_SQLITE_ERROR,
            "stale_journal_not_removed",
            path=path,
            journal=journal,
            error=error.strerror or error,
        ) from error


def write_names(path: str, names: Sequence[str], language: str) -> WriteResult:
    """Insert names into the database at path in one transaction, creating file and table."""
    check_folder_exists(path)
    lab_db.check_is_database_file(path)

    with lab_db.open_read_write(path) as connection:
        # Undo a conversion to WAL by another tool, because the read-only reader needs the
        # rollback journal. The pragma writes nothing when the mode is already DELETE.
        connection.execute("PRAGMA journal_mode = DELETE")

        connection.execute("BEGIN IMMEDIATE")
        try:
            remove_stale_journal(path)
            ensure_table(connection, path, language)
            inserted = insert_new_names(connection, names, path, language)
            total = lab_db.count_customers(connection)
            connection.execute("COMMIT")
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")

    return WriteResult(path, len(names), inserted, total, dry_run=False)


def preview_names(path: str, names: Sequence[str], language: str) -> WriteResult:
    """Count how many names a write would insert, opening the database read-only."""
    check_folder_exists(path)
    if not os.path.exists(path):
        return WriteResult(path, len(names), len(names), 0, dry_run=True)

    lab_db.check_is_database_file(path)
    if lab_db.has_hot_journal(path):
        raise LabError(
            lab_db.EXIT_HOT_JOURNAL, "hot_journal", path=path, journal=lab_db.journal_path(path)
        )

    with lab_db.open_read_only(path) as connection:
        shape = lab_db.read_table_shape(connection)
        if shape is None:
            return WriteResult(path, len(names), len(names), 0, dry_run=True)

        lab_db.check_table_shape(shape, path, language)
        stored = sum(1 for name in names if is_stored(connection, name))
        total = lab_db.count_customers(connection)

    return WriteResult(path, len(names), len(names) - stored, total, dry_run=True)


# Output


def print_result(result: WriteResult, as_json: bool, language: str) -> None:
    if as_json:
        # ASCII only, like read_data.py --json, so Docker's log driver cannot split a character.
        print(json.dumps(result._asdict(), ensure_ascii=True))
        return

    key = "dry_run_summary" if result.dry_run else "write_summary"
    print(
        lab_db.format_message(
            key,
            language,
            inserted=result.inserted,
            requested=result.requested,
            path=result.database,
            total=result.total,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    lab_db.use_utf8_output()
    language = lab_db.detect_language()
    args = build_parser(language).parse_args(argv)

    try:
        path = lab_db.resolve_database_path(args.database)
        entries = collect_entries(args.names, args.names_file)
        names = validate_names(entries, path, language)
        if args.dry_run:
            result = preview_names(path, names, language)
        else:
            result = write_names(path, names, language)
    except LabError as error:
        lab_db.print_error(error, language)
        return error.exit_code

    print_result(result, args.json, language)
    return lab_db.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
