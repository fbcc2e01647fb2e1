"""Tests of write_data.py, in-process through main() and as a subprocess, on real SQLite files."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import lab_db
import pytest
import write_data


def write_json(capsys: pytest.CaptureFixture, *arguments: str) -> dict:
    """Run the writer with --json, assert success and return the parsed JSON result."""
    exit_code = write_data.main(["--json", *arguments])
    output = capsys.readouterr()
    assert exit_code == 0, output.err
    return json.loads(output.out)


# Seeding


def test_seed_creates_table_and_rows(lab, database, capsys):
    exit_code = write_data.main(["--database", database, "Alice", "Bob", "Carol"])

    assert exit_code == 0
    assert lab.read_names(database) == ["Alice", "Bob", "Carol"]
    assert [row[1] for row in lab.read_schema(database)] == [
        "sqlite_autoindex_customers_1",
        "customers",
    ]


def test_seed_text_summary(database, capsys):
    write_data.main(["--database", database, "Alice", "Bob", "Carol"])

    output = capsys.readouterr()
    assert output.out == f"inserted 3 of 3 customers into {database} (3 in total)\n"
    assert output.err == ""


def test_seed_twice_inserts_nothing(lab, database, capsys):
    first = write_json(capsys, "--database", database, "Alice", "Bob", "Carol")
    second = write_json(capsys, "--database", database, "Alice", "Bob", "Carol")

    assert first == {
        "database": database,
        "requested": 3,
        "inserted": 3,
        "total": 3,
        "dry_run": False,
    }
    assert second["inserted"] == 0
    assert second["requested"] == 3
    assert second["total"] == 3
    assert lab.read_names(database) == ["Alice", "Bob", "Carol"]


def test_seed_adds_only_new_names(lab, database, capsys):
    write_json(capsys, "--database", database, "Alice", "Bob")
    result = write_json(capsys, "--database", database, "Bob", "Carol")

    assert result["inserted"] == 1
    assert result["total"] == 3
    assert lab.read_names(database) == ["Alice", "Bob", "Carol"]


def test_created_at_is_utc_iso8601(database, capsys):
    write_json(capsys, "--database", database, "Alice")

    connection = sqlite3.connect(database)
    (created_at,) = connection.execute("SELECT created_at FROM customers").fetchone()
    connection.close()
    assert len(created_at) == len("2024-01-31T12:00:00Z")
    assert created_at[10] == "T"
    assert created_at.endswith("Z")


def test_database_from_environment(lab, database, capsys, monkeypatch):
    monkeypatch.setenv("LAB_DATABASE", database)

    result = write_json(capsys, "Alice")

    assert result["database"] == database
    assert lab.read_names(database) == ["Alice"]


def test_option_overrides_environment(lab, tmp_path, database, capsys, monkeypatch):
    monkeypatch.setenv("LAB_DATABASE", str(tmp_path / "other.db"))

    write_json(capsys, "--database", database, "Alice")

    assert lab.read_names(database) == ["Alice"]
    assert not (tmp_path / "other.db").exists()


def test_journal_mode_stays_delete(database, capsys):
    write_json(capsys, "--database", database, "Alice")

    connection = sqlite3.connect(database)
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    connection.close()
    assert mode == "delete"
    assert not os.path.exists(database + "-wal")


def test_wal_database_switched_to_delete(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    lab.execute_script(database, "PRAGMA journal_mode = WAL;")

    result = write_json(capsys, "--database", database, "Bob")

    connection = sqlite3.connect(database)
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    connection.close()
    assert result["total"] == 2
    assert mode == "delete"


def test_seed_as_subprocess(lab, database):
    completed = lab.run_script("write_data.py", "--database", database, "--json", "Alice", "Bob")

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "database": database,
        "requested": 2,
        "inserted": 2,
        "total": 2,
        "dry_run": False,
    }
    assert completed.stderr == b""


# Dry run


def test_dry_run_missing_database(database, capsys):
    result = write_json(capsys, "--database", database, "--dry-run", "Alice", "Bob", "Carol")

    assert result == {
        "database": database,
        "requested": 3,
        "inserted": 3,
        "total": 0,
        "dry_run": True,
    }
    assert not os.path.exists(database)
    assert not os.path.exists(database + "-journal")


def test_dry_run_leaves_file_unchanged(lab, database, capsys):
    lab.create_customers_table(database, ["Alice", "Bob"])
    content_before = Path(database).read_bytes()
    mtime_before = os.stat(database).st_mtime_ns

    result = write_json(capsys, "--database", database, "--dry-run", "Alice", "Carol")

    assert result["inserted"] == 1
    assert result["requested"] == 2
    assert result["total"] == 2
    assert result["dry_run"] is True
    assert Path(database).read_bytes() == content_before
    assert os.stat(database).st_mtime_ns == mtime_before


def test_dry_run_text_summary(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])

    exit_code = write_data.main(["--database", database, "--dry-run", "Alice", "Bob"])

    output = capsys.readouterr()
    assert exit_code == 0
    assert output.out.startswith("dry run: would insert 1 of 2 customers into ")
    assert "(1 in total now, nothing written)" in output.out


def test_dry_run_without_table(lab, database, capsys):
    lab.execute_script(database, "CREATE TABLE other (x);")

    result = write_json(capsys, "--database", database, "--dry-run", "Alice")

    assert result["inserted"] == 1
    assert result["total"] == 0
    assert lab.read_schema(database) == [("table", "other", "CREATE TABLE other (x)")]


def test_dry_run_reports_hot_journal(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    Path(database + "-journal").write_bytes(lab.JOURNAL_MAGIC + bytes(504))

    exit_code = write_data.main(["--database", database, "--dry-run", "Bob"])

    assert exit_code == lab_db.EXIT_HOT_JOURNAL
    assert "site.yml" in capsys.readouterr().err


def test_dry_run_ignores_zeroed_journal(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    lab.interrupt_write(database, spill=False)
    journal = Path(database + "-journal")
    journal_before = journal.read_bytes()
    assert journal_before[: len(lab.JOURNAL_MAGIC)] == bytes(len(lab.JOURNAL_MAGIC))

    result = write_json(capsys, "--database", database, "--dry-run", "Alice", "Bob")

    assert result["inserted"] == 1
    assert result["total"] == 1
    assert journal.read_bytes() == journal_before


# Unicode names

UNICODE_NAMES = [
    "José Conceição",
    "Zoë Ångström",
    "Đặng Thị Ngọc",
    "北京市 王小明",
    "محمد عبد الله",
    "Ελένη Παπαδοπούλου",
    "😀 Smiley",
    "🇧🇷 Brasil",
    "a" * 200,
]


def test_unicode_names_round_trip(lab, database):
    written = lab.run_script("write_data.py", "--database", database, *UNICODE_NAMES)
    read = lab.run_script("read_data.py", "--database", database, "--json")

    assert written.returncode == 0, written.stderr
    assert read.returncode == 0, read.stderr
    stored = [customer["name"] for customer in json.loads(read.stdout)["customers"]]
    assert [name.encode("utf-8") for name in stored] == [
        name.encode("utf-8") for name in UNICODE_NAMES
    ]
    assert read.stdout.isascii()


def test_unicode_names_file_round_trip(lab, tmp_path, database):
    names_file = tmp_path / "names.json"
    names_file.write_text(json.dumps(UNICODE_NAMES), encoding="utf-8")

    written = lab.run_script(
        "write_data.py", "--database", database, "--names-file", str(names_file)
    )

    assert written.returncode == 0, written.stderr
    assert [name.encode("utf-8") for name in lab.read_names(database)] == [
        name.encode("utf-8") for name in UNICODE_NAMES
    ]


def test_nfd_input_stored_unchanged(lab, database, capsys):
    decomposed = "Jose\u0301 Conceic\u0327a\u0303o"

    write_json(capsys, "--database", database, decomposed)

    (stored,) = lab.read_names(database)
    assert stored.encode("utf-8") == decomposed.encode("utf-8")


def test_nfc_and_nfd_are_distinct_names(lab, database, capsys):
    write_json(capsys, "--database", database, "Jos\u00e9")

    result = write_json(capsys, "--database", database, "Jose\u0301")

    assert result["inserted"] == 1
    assert lab.read_names(database) == ["Jos\u00e9", "Jose\u0301"]


def test_length_counted_in_code_points(lab, database, capsys):
    decomposed = "e\u0301" * 100

    result = write_json(capsys, "--database", database, decomposed)

    assert result["inserted"] == 1
    assert lab.read_names(database) == [decomposed]


# Invalid names

INVALID_NAMES = [
    ("", "it is empty or contains only whitespace"),
    ("   ", "it is empty or contains only whitespace"),
    ("\u3000", "it is empty or contains only whitespace"),
    (" Alice", "it starts or ends with whitespace"),
    ("Alice ", "it starts or ends with whitespace"),
    ("Alice\u00a0", "it starts or ends with whitespace"),
    ("Ali\tce", "it contains the control character U+0009"),
    ("Ali\nce", "it contains the control character U+000A"),
    ("Ali\x00ce", "it contains the control character U+0000"),
    ("Ali\x7fce", "it contains the control character U+007F"),
    ("Ali\u200bce", "it contains the format character U+200B ZERO WIDTH SPACE, which is usually"),
    ("Ali\u202ece", "it contains the format character U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("Ali\u200dce", "it contains the format character U+200D ZERO WIDTH JOINER"),
    ("Ali\u2028ce", "it contains the line separator U+2028 LINE SEPARATOR, which many"),
    ("Ali\u2029ce", "it contains the paragraph separator U+2029 PARAGRAPH SEPARATOR"),
    ("a" * 201, "it has 201 Unicode code points, more than the maximum of 200"),
    # 150 letters, each "e" plus U+0301 COMBINING ACUTE ACCENT: 300 code points.
    ("e\u0301" * 150, "it has 300 Unicode code points, more than the maximum of 200"),
]


@pytest.mark.parametrize(("name", "reason"), INVALID_NAMES)
def test_invalid_name_rejected(database, capsys, name, reason):
    exit_code = write_data.main(["--database", database, "Bob", name])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert f"invalid customer name {json.dumps(name, ensure_ascii=False)}" in error
    assert "(argument 2)" in error
    assert reason in error
    assert f"nothing was written to {database}" in error
    assert not os.path.exists(database)


def test_lone_surrogate_rejected(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_text('["Ali\\ud800ce"]', encoding="utf-8")

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file)])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert "it contains the lone surrogate U+D800, which UTF-8 cannot encode" in error
    assert f"(entry 1 of {names_file})" in error


def test_non_string_entries_rejected(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_text('["Alice", 42, null, true, ["Bob"], {"name": "Carol"}]')

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file)])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert f"invalid customer name 42 (entry 2 of {names_file}): it is a JSON number" in error
    assert f"null (entry 3 of {names_file}): it is a JSON null" in error
    assert f"true (entry 4 of {names_file}): it is a JSON boolean" in error
    assert f'["Bob"] (entry 5 of {names_file}): it is a JSON array' in error
    assert f"(entry 6 of {names_file}): it is a JSON object" in error
    assert not os.path.exists(database)


def test_duplicate_in_request_rejected(database, capsys):
    exit_code = write_data.main(["--database", database, "Alice", "Bob", "Alice"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert 'invalid customer name "Alice" (argument 3)' in error
    assert "it repeats the name of argument 1" in error
    assert not os.path.exists(database)


def test_duplicate_across_arguments_and_file(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_text('["Bob", "Alice"]')

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file), "Alice"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert f"(entry 2 of {names_file}): it repeats the name of argument 1" in error


def test_case_variants_are_distinct(database, capsys):
    result = write_json(capsys, "--database", database, "alice", "Alice", "ALICE")

    assert result["inserted"] == 3


def test_every_invalid_name_listed(database, capsys):
    exit_code = write_data.main(["--database", database, " a", "Bob", "b ", "Bob"])

    error_lines = capsys.readouterr().err.splitlines()
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert len(error_lines) == 4
    assert "(argument 1)" in error_lines[0]
    assert "(argument 3)" in error_lines[1]
    assert "(argument 4)" in error_lines[2]
    assert error_lines[3].startswith("nothing was written to ")


def test_invalid_names_list_capped(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_text(json.dumps([" x"] * 25))

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file)])

    error_lines = capsys.readouterr().err.splitlines()
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert len(error_lines) == write_data.MAX_LISTED_INVALID_NAMES + 2
    assert error_lines[-2] == "... and 5 more invalid customer names"


def test_invalid_name_leaves_database_unchanged(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    content_before = Path(database).read_bytes()

    exit_code = write_data.main(["--database", database, "Bob", "Ca\trol"])

    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert Path(database).read_bytes() == content_before


def test_invalid_name_as_subprocess(lab, database):
    completed = lab.run_script("write_data.py", "--database", database, "Bob", " ")

    assert completed.returncode == lab_db.EXIT_INVALID_NAME
    assert b"(argument 2): it is empty or contains only whitespace" in completed.stderr
    assert b"Traceback" not in completed.stderr
    assert completed.stdout == b""


# Arguments and names file


def test_names_file_with_arguments(lab, tmp_path, database, capsys):
    names = [f"Customer {number:04d}" for number in range(1, 501)]
    names_file = tmp_path / "seed.json"
    names_file.write_text(json.dumps(names))

    result = write_json(
        capsys, "--database", database, "--names-file", str(names_file), "First", "Second"
    )

    assert result["requested"] == 502
    assert result["inserted"] == 502
    assert lab.read_names(database) == ["First", "Second", *names]


def test_names_file_missing(tmp_path, database, capsys):
    names_file = tmp_path / "missing.json"

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file)])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_ARGUMENTS
    assert f"names file {names_file} could not be read" in error
    assert "No such file or directory" in error


def test_names_file_invalid_json(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_text('["Alice",')

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file)])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_ARGUMENTS
    assert f"names file {names_file} is not valid UTF-8 JSON" in error


def test_names_file_not_utf8(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_bytes('["José"]'.encode("latin-1"))

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file)])

    assert exit_code == lab_db.EXIT_INVALID_ARGUMENTS
    assert "is not valid UTF-8 JSON" in capsys.readouterr().err


def test_names_file_not_array(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_text('{"names": ["Alice"]}')

    exit_code = write_data.main(["--database", database, "--names-file", str(names_file)])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_ARGUMENTS
    assert "contains a JSON object, not an array" in error
    assert not os.path.exists(database)


def test_no_names_rejected(tmp_path, database, capsys):
    names_file = tmp_path / "names.json"
    names_file.write_text("[]")

    without_names = write_data.main(["--database", database])
    with_empty_file = write_data.main(["--database", database, "--names-file", str(names_file)])

    assert without_names == lab_db.EXIT_INVALID_ARGUMENTS
    assert with_empty_file == lab_db.EXIT_INVALID_ARGUMENTS
    assert "no customer names given" in capsys.readouterr().err


def test_empty_database_option_rejected(capsys):
    exit_code = write_data.main(["--database", "", "Alice"])

    assert exit_code == lab_db.EXIT_INVALID_ARGUMENTS
    assert "the database path is empty" in capsys.readouterr().err


def test_unknown_option_exits_2(lab, database):
    completed = lab.run_script("write_data.py", "--database", database, "--colour", "Alice")

    assert completed.returncode == lab_db.EXIT_INVALID_ARGUMENTS
    assert b"unrecognized arguments: --colour" in completed.stderr
    assert b"run write_data.py --help" in completed.stderr


def test_name_starting_with_dash(lab, database, capsys):
    result = write_json(capsys, "--database", database, "--", "-Dash")

    assert result["inserted"] == 1
    assert lab.read_names(database) == ["-Dash"]


def test_help_lists_exit_codes(capsys):
    with pytest.raises(SystemExit) as raised:
        write_data.main(["--help"])

    help_text = capsys.readouterr().out
    assert raised.value.code == 0
    assert "exit codes:" in help_text
    assert "format characters (such as U+200B" in " ".join(help_text.split())
    assert "at most 200 Unicode code points each" in " ".join(help_text.split())
    assert "  7  invalid customer name" in help_text
    assert "  9  database locked or busy" in help_text


# Database failures


def test_text_file_rejected(database, capsys):
    Path(database).write_text("this is not a database\n")

    exit_code = write_data.main(["--database", database, "Alice"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_NOT_A_DATABASE
    assert f"file {database} is not a SQLite database" in error
    assert Path(database).read_text() == "this is not a database\n"


def test_directory_rejected(tmp_path, capsys):
    exit_code = write_data.main(["--database", str(tmp_path), "Alice"])

    assert exit_code == lab_db.EXIT_NOT_A_DATABASE
    assert "is a directory" in capsys.readouterr().err


def test_empty_file_gets_table(lab, database, capsys):
    Path(database).write_bytes(b"")

    result = write_json(capsys, "--database", database, "Alice")

    assert result["inserted"] == 1
    assert lab.read_names(database) == ["Alice"]


def test_missing_folder_exits_9(tmp_path, capsys):
    database = str(tmp_path / "missing" / "demo.db")

    exit_code = write_data.main(["--database", database, "Alice"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_SQLITE_ERROR
    assert f"folder {tmp_path / 'missing'} of database {database} not found" in error
    assert not (tmp_path / "missing").exists()


def test_locked_database_exits_9(lab, database, capsys, monkeypatch):
    lab.create_customers_table(database, ["Alice"])
    monkeypatch.setattr(lab_db, "BUSY_TIMEOUT_SECONDS", 0.1)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        exit_code = write_data.main(["--database", database, "Bob"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_SQLITE_ERROR
    assert "database is locked" in error
    assert lab.read_names(database) == ["Alice"]


WRONG_SHAPES = [
    pytest.param(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT UNIQUE, created_at TEXT)",
        "columns found: id, full_name, created_at, UNIQUE on name: no",
        id="no-name-column",
    ),
    pytest.param(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, created_at TEXT)",
        "columns found: id, name, created_at, UNIQUE on name: no",
        id="name-not-unique",
    ),
    pytest.param(
        "CREATE TABLE customers "
        "(id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE, created_at TEXT)",
        "UNIQUE on name: no",
        id="unique-nocase",
    ),
    pytest.param(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT UNIQUE)",
        "columns found: id, name, UNIQUE on name: yes",
        id="no-created-at",
    ),
    pytest.param(
        "CREATE VIEW customers AS SELECT 1 AS id, 'x' AS name, 'y' AS created_at",
        "customers is a view, not a table",
        id="view",
    ),
]


@pytest.mark.parametrize(("create_sql", "found"), WRONG_SHAPES)
def test_wrong_shape_left_untouched(lab, database, capsys, create_sql, found):
    lab.execute_script(database, create_sql + ";")
    schema_before = lab.read_schema(database)
    content_before = Path(database).read_bytes()

    exit_code = write_data.main(["--database", database, "Alice"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_WRONG_SHAPE
    assert f"table customers in database {database} has another shape" in error
    assert found in error
    assert lab.read_schema(database) == schema_before
    assert Path(database).read_bytes() == content_before


def test_dry_run_wrong_shape(lab, database, capsys):
    lab.execute_script(database, "CREATE TABLE customers (id INTEGER PRIMARY KEY, title TEXT);")

    exit_code = write_data.main(["--database", database, "--dry-run", "Alice"])

    assert exit_code == lab_db.EXIT_WRONG_SHAPE
    assert "columns found: id, title" in capsys.readouterr().err


def test_compatible_shape_accepted(lab, database, capsys):
    lab.execute_script(
        database,
        "CREATE TABLE Customers (ID INTEGER PRIMARY KEY, Name TEXT NOT NULL, "
        "created_at TEXT DEFAULT 'now', note TEXT);"
        "CREATE UNIQUE INDEX customers_name ON Customers (Name);",
    )

    result = write_json(capsys, "--database", database, "Alice")

    assert result["inserted"] == 1


def test_constraint_failure_rolls_back(lab, database, capsys):
    lab.execute_script(
        database,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "created_at TEXT NOT NULL DEFAULT 'now', CHECK (name <> 'Bob'));",
    )

    exit_code = write_data.main(["--database", database, "Alice", "Bob", "Carol"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_WRONG_SHAPE
    assert 'rejected the name "Bob"' in error
    assert "nothing was written" in error
    assert lab.read_names(database) == []


def test_trigger_failure_rolls_back(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    lab.execute_script(
        database,
        "CREATE TRIGGER no_carol BEFORE INSERT ON customers WHEN NEW.name = 'Carol' "
        "BEGIN SELECT RAISE(ABORT, 'Carol is not allowed'); END;",
    )

    exit_code = write_data.main(["--database", database, "Bob", "Carol"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_WRONG_SHAPE
    assert "Carol is not allowed" in error
    assert lab.read_names(database) == ["Alice"]


def test_interrupted_write_rolled_back(lab, database, capsys):
    lab.create_customers_table(database, ["Alice", "Bob"])
    lab.interrupt_write(database)
    journal = Path(database + "-journal")
    assert journal.read_bytes()[: len(lab.JOURNAL_MAGIC)] == lab.JOURNAL_MAGIC

    result = write_json(capsys, "--database", database, "Carol")

    assert result["inserted"] == 1
    assert result["total"] == 3
    assert lab.read_names(database) == ["Alice", "Bob", "Carol"]
    assert not journal.exists()


@pytest.mark.parametrize(
    ("names", "inserted"),
    [(["Alice"], 0), (["Alice", "Carol"], 1)],
    ids=["nothing-inserted", "one-inserted"],
)
def test_zeroed_journal_removed(lab, database, capsys, names, inserted):
    lab.create_customers_table(database, ["Alice", "Bob"])
    lab.interrupt_write(database, spill=False)
    journal = Path(database + "-journal")
    assert journal.stat().st_size > 0
    assert journal.read_bytes()[: len(lab.JOURNAL_MAGIC)] == bytes(len(lab.JOURNAL_MAGIC))

    result = write_json(capsys, "--database", database, *names)

    assert result["inserted"] == inserted
    assert not journal.exists()
    assert lab.read_names(database) == ["Alice", "Bob", "Carol"][: 2 + inserted]
    assert lab.run_script("read_data.py", "--database", database).returncode == 0


def test_empty_journal_removed(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    journal = Path(database + "-journal")
    journal.write_bytes(b"")

    result = write_json(capsys, "--database", database, "Alice")

    assert result["inserted"] == 0
    assert not journal.exists()


def test_stale_journal_not_removed_exits_9(lab, nobody_folder):
    database = nobody_folder / "demo.db"
    lab.create_customers_table(str(database), ["Alice"])
    os.chown(database, lab.NOBODY_ID, lab.NOBODY_ID)
    journal = Path(str(database) + "-journal")
    journal.write_bytes(bytes(512))

    completed = lab.run_script(
        "write_data.py", "--database", str(database), "Alice", as_nobody=True
    )

    error = completed.stderr.decode("utf-8")
    assert completed.returncode == lab_db.EXIT_SQLITE_ERROR, error
    assert f"the stale rollback journal {journal} of database {database}" in error
    assert "could not be deleted (Permission denied)" in error
    assert journal.read_bytes() == bytes(512)
    assert lab.read_names(str(database)) == ["Alice"]


# Languages


def test_portuguese_summary(database, capsys, monkeypatch):
    monkeypatch.setenv("LAB_LANGUAGE", "pt_BR")

    write_data.main(["--database", database, "Alice", "Bob"])
    write_data.main(["--database", database, "--dry-run", "Bob", "Carol"])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"inseridos 2 de 2 clientes em {database} (2 no total)"
    assert lines[1].startswith("simulação: seriam inseridos 1 de 2 clientes em ")


def test_portuguese_invalid_name(lab, database):
    completed = lab.run_script(
        "write_data.py", "--database", database, "Ali\tce", environment={"LAB_LANGUAGE": "pt_BR"}
    )

    error = completed.stderr.decode("utf-8")
    assert completed.returncode == lab_db.EXIT_INVALID_NAME
    assert 'nome de cliente inválido "Ali\\tce" (argumento 1)' in error
    assert "contém o caractere de controle U+0009" in error
    assert f"nada foi gravado em {database}" in error


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Ali\u200bce", "contém o caractere de formatação U+200B ZERO WIDTH SPACE"),
        ("Ali\u2028ce", "contém o separador de linha U+2028 LINE SEPARATOR"),
        ("Ali\u2029ce", "contém o separador de parágrafo U+2029 PARAGRAPH SEPARATOR"),
    ],
)
def test_portuguese_character_reasons(database, capsys, monkeypatch, name, reason):
    monkeypatch.setenv("LAB_LANGUAGE", "pt_BR")

    exit_code = write_data.main(["--database", database, name])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert reason in error
    assert "controle" not in error


def test_portuguese_help(capsys, monkeypatch):
    monkeypatch.setenv("LAB_LANGUAGE", "pt_BR")

    with pytest.raises(SystemExit):
        write_data.main(["--help"])

    help_text = capsys.readouterr().out
    assert "códigos de saída:" in help_text
    assert "  7  nome de cliente inválido" in help_text


def test_portuguese_too_long_counts_code_points(database, capsys, monkeypatch):
    monkeypatch.setenv("LAB_LANGUAGE", "pt_BR")

    exit_code = write_data.main(["--database", database, "e\u0301" * 150])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_INVALID_NAME
    assert "tem 300 pontos de código Unicode, mais que o máximo de 200" in error
    assert "caractere combinante separado conta como dois" in error
