"""Tests of read_data.py, in-process through main() and as a subprocess, on real SQLite files.

Also the language selection shared through lab_db, and a text check of the Dockerfile.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import lab_db
import pytest
import read_data

DOCKERFILE = Path(__file__).resolve().parents[2] / "app" / "Dockerfile"


def read_json(capsys: pytest.CaptureFixture, *arguments: str) -> dict:
    """Run the reader with --json, assert success and return the parsed JSON report."""
    exit_code = read_data.main(["--json", *arguments])
    output = capsys.readouterr()
    assert exit_code == 0, output.err
    return json.loads(output.out)


def snapshot(path: str) -> tuple:
    """Return the content, mtime and folder listing that a read-only open must not change."""
    status = os.stat(path)
    return (
        Path(path).read_bytes(),
        status.st_mtime_ns,
        status.st_size,
        sorted(os.listdir(os.path.dirname(path))),
    )


# Listing


def test_json_report_shape(lab, database, capsys):
    lab.create_customers_table(database, ["Alice", "Bob", "Carol"])

    report = read_json(capsys, "--database", database)

    assert set(report) == {"database", "count", "integrity", "customers"}
    assert report["database"] == database
    assert report["count"] == 3
    assert report["integrity"] is None
    assert [customer["name"] for customer in report["customers"]] == ["Alice", "Bob", "Carol"]
    assert [customer["id"] for customer in report["customers"]] == [1, 2, 3]
    assert set(report["customers"][0]) == {"id", "name", "created_at"}


def test_customers_ordered_by_id(lab, database, capsys):
    lab.execute_script(
        database,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "created_at TEXT NOT NULL);"
        "INSERT INTO customers VALUES (30, 'Carol', '2024-01-03T00:00:00Z');"
        "INSERT INTO customers VALUES (10, 'Alice', '2024-01-01T00:00:00Z');"
        "INSERT INTO customers VALUES (20, 'Bob', '2024-01-02T00:00:00Z');",
    )

    report = read_json(capsys, "--database", database)

    assert [customer["id"] for customer in report["customers"]] == [10, 20, 30]
    assert [customer["name"] for customer in report["customers"]] == ["Alice", "Bob", "Carol"]


def test_text_output_lines(lab, database, capsys):
    lab.execute_script(
        database,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "created_at TEXT NOT NULL);"
        "INSERT INTO customers VALUES (1, 'Alice', '2024-01-01T00:00:00Z');"
        "INSERT INTO customers VALUES (2, 'José', '2024-01-02T00:00:00Z');",
    )

    exit_code = read_data.main(["--database", database])

    output = capsys.readouterr()
    assert exit_code == 0
    assert output.out.splitlines() == [
        "1\tAlice\t2024-01-01T00:00:00Z",
        "2\tJosé\t2024-01-02T00:00:00Z",
        f"2 customers in {database}",
    ]
    assert output.err == ""


def test_empty_table_lists_nothing(lab, database, capsys):
    lab.create_customers_table(database, [])

    report = read_json(capsys, "--database", database)

    assert report["count"] == 0
    assert report["customers"] == []


def test_database_from_environment(lab, database, capsys, monkeypatch):
    lab.create_customers_table(database, ["Alice"])
    monkeypatch.setenv("LAB_DATABASE", database)

    report = read_json(capsys)

    assert report["database"] == database
    assert report["count"] == 1


def test_path_with_uri_characters(lab, tmp_path, capsys):
    folder = tmp_path / "lab data?x=1#part 100%"
    folder.mkdir()
    database = str(folder / "demo.db")
    lab.create_customers_table(database, ["Alice"])

    report = read_json(capsys, "--database", database)

    assert report["count"] == 1
    assert sorted(os.listdir(folder)) == ["demo.db"]


def test_json_is_ascii_and_round_trips(lab, database):
    names = ["José", "北京", "😀"]
    lab.create_customers_table(database, names)

    completed = lab.run_script("read_data.py", "--database", database, "--json")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.isascii()
    stored = [customer["name"] for customer in json.loads(completed.stdout)["customers"]]
    assert [name.encode() for name in stored] == [name.encode() for name in names]


def test_stdout_utf8_under_ascii_locale(lab, database):
    lab.create_customers_table(database, ["José", "محمد"])
    ascii_environment = {
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONIOENCODING": "ascii",
    }

    text = lab.run_script("read_data.py", "--database", database, environment=ascii_environment)
    document = lab.run_script(
        "read_data.py", "--database", database, "--json", environment=ascii_environment
    )

    assert text.returncode == 0, text.stderr
    assert document.returncode == 0, document.stderr
    assert "1\tJosé\t".encode() in text.stdout
    assert "2\tمحمد\t".encode() in text.stdout
    assert json.loads(document.stdout)["customers"][1]["name"] == "محمد"


def test_reader_never_modifies_file(lab, database, capsys):
    lab.create_customers_table(database, ["Alice", "Bob"])
    before = snapshot(database)

    read_data.main(["--database", database])
    read_data.main(["--database", database, "--json", "--integrity-check"])
    completed = lab.run_script("read_data.py", "--database", database)

    after = snapshot(database)
    assert completed.returncode == 0
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2] == before[2]
    assert after[3] == before[3]


def test_reader_as_subprocess(lab, database):
    lab.create_customers_table(database, ["Alice"])

    completed = lab.run_script("read_data.py", "--database", database)

    lines = completed.stdout.decode("utf-8").splitlines()
    assert completed.returncode == 0
    assert lines[0].startswith("1\tAlice\t")
    assert lines[1] == f"1 customers in {database}"
    assert completed.stderr == b""


# Integrity check


def test_integrity_check_ok(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])

    report = read_json(capsys, "--database", database, "--integrity-check")

    assert report["integrity"] == "ok"
    assert report["count"] == 1


def test_integrity_check_text_line(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])

    exit_code = read_data.main(["--database", database, "--integrity-check"])

    lines = capsys.readouterr().out.splitlines()
    assert exit_code == 0
    assert lines[-1] == f"integrity check of {database}: ok"


def test_integrity_failure_exits_5(lab, database, capsys):
    lab.create_customers_table(database, ["Alice", "Bob"])
    # The index keeps its created_at entries while the schema now declares it on name, so
    # integrity_check finds every row missing from it, but listing by id still works.
    lab.execute_script(
        database,
        "CREATE INDEX customers_created_at ON customers (created_at);"
        "PRAGMA writable_schema = ON;"
        "UPDATE sqlite_master SET sql = 'CREATE INDEX customers_created_at ON customers (name)'"
        " WHERE name = 'customers_created_at';",
    )

    listing_exit_code = read_data.main(["--database", database])
    checked_exit_code = read_data.main(["--database", database, "--integrity-check"])

    output = capsys.readouterr()
    assert listing_exit_code == 0
    assert checked_exit_code == lab_db.EXIT_NOT_A_DATABASE
    assert f"integrity check of database {database} failed" in output.err
    assert "row 1 missing from index customers_created_at" in output.err


def test_damaged_pages_exit_5(lab, database, capsys):
    lab.create_customers_table(database, [f"Customer {number:05d}" for number in range(2000)])
    page_size = 4096
    content = bytearray(Path(database).read_bytes())
    assert len(content) > 8 * page_size
    content[3 * page_size : 5 * page_size] = b"\xff" * (2 * page_size)
    Path(database).write_bytes(bytes(content))

    exit_code = read_data.main(["--database", database, "--integrity-check"])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_NOT_A_DATABASE
    assert database in error
    assert "restore a backup into a new lab" in error


# Failures, in the order the reader checks them


def test_missing_database_exits_3(database, capsys):
    exit_code = read_data.main(["--database", database])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_DATABASE_NOT_FOUND
    assert f"database {database} not found" in error
    assert "run site.yml first" in error
    assert not os.path.exists(database)


def test_database_in_closed_folder_exits_9(lab, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "demo.db"
    lab.create_customers_table(str(database), ["Ana"])
    if os.geteuid() == 0:
        # root searches any folder through CAP_DAC_READ_SEARCH, so the script runs without it,
        # in a folder of another user.
        os.chown(folder, lab.NOBODY_ID, lab.NOBODY_ID)
        folder.chmod(0o700)
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
    else:
        folder.chmod(0o000)
        prefix = ()
    try:
        completed = lab.run_script(
            "read_data.py", "--database", str(database), command_prefix=prefix
        )
    finally:
        folder.chmod(0o755)

    assert completed.returncode == lab_db.EXIT_SQLITE_ERROR
    assert b"could not be read (Permission denied)" in completed.stderr
    assert b"not found" not in completed.stderr


def test_missing_database_as_subprocess(lab, database):
    completed = lab.run_script("read_data.py", "--database", database)

    assert completed.returncode == lab_db.EXIT_DATABASE_NOT_FOUND
    assert b"run site.yml first" in completed.stderr
    assert b"Traceback" not in completed.stderr
    assert completed.stdout == b""


def test_hot_journal_exits_8(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    Path(database + "-journal").write_bytes(lab.JOURNAL_MAGIC + bytes(504))

    exit_code = read_data.main(["--database", database])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_HOT_JOURNAL
    assert f"database {database} has a hot journal {database}-journal" in error
    assert "run site.yml" in error.lower()


def test_interrupted_write_exits_8(lab, database):
    lab.create_customers_table(database, ["Alice"])
    lab.interrupt_write(database)
    journal_before = Path(database + "-journal").read_bytes()
    assert journal_before[: len(lab.JOURNAL_MAGIC)] == lab.JOURNAL_MAGIC

    completed = lab.run_script("read_data.py", "--database", database)

    assert completed.returncode == lab_db.EXIT_HOT_JOURNAL
    assert b"interrupted write" in completed.stderr
    assert Path(database + "-journal").read_bytes() == journal_before


def test_empty_journal_is_not_hot(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    Path(database + "-journal").write_bytes(b"")

    report = read_json(capsys, "--database", database)

    assert report["count"] == 1


def test_zeroed_journal_header_ignored(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    database_before = Path(database).read_bytes()
    lab.interrupt_write(database, spill=False)
    journal = Path(database + "-journal")
    journal_before = journal.read_bytes()
    assert len(journal_before) > 4096
    assert journal_before[: len(lab.JOURNAL_MAGIC)] == bytes(len(lab.JOURNAL_MAGIC))
    assert Path(database).read_bytes() == database_before

    report = read_json(capsys, "--database", database, "--integrity-check")

    assert report["count"] == 1
    assert report["integrity"] == "ok"
    assert lab.read_names(database) == ["Alice"]
    assert journal.read_bytes() == journal_before


def test_journal_without_magic_exits_8(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    # SQLite 3.40 treats a journal as hot when its first byte is not zero, even without the
    # magic, and then a read-only connection fails with SQLITE_READONLY_ROLLBACK.
    Path(database + "-journal").write_bytes(b"\x01" * 512)
    assert not lab_db.has_hot_journal(database)

    exit_code = read_data.main(["--database", database])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_HOT_JOURNAL
    assert f"database {database} has a hot journal {database}-journal" in error


def test_unreadable_journal_exits_8(lab, nobody_folder):
    database = nobody_folder / "demo.db"
    lab.create_customers_table(str(database), ["Alice"])
    journal = Path(str(database) + "-journal")
    journal.write_bytes(bytes(512))
    journal.chmod(0o600)

    completed = lab.run_script("read_data.py", "--database", str(database), as_nobody=True)

    assert completed.returncode == lab_db.EXIT_HOT_JOURNAL, completed.stderr
    assert b"has a hot journal" in completed.stderr


def test_folder_as_journal_exits_9(lab, database, capsys):
    lab.create_customers_table(database, ["Alice"])
    os.mkdir(database + "-journal")
    assert not lab_db.has_hot_journal(database)

    exit_code = read_data.main(["--database", database])

    assert exit_code == lab_db.EXIT_SQLITE_ERROR
    assert f"SQLite failed on database {database}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, False),
        (b"", False),
        (bytes(512), False),
        (bytes(8) + bytes.fromhex("f9b0e832") + bytes(500), False),
        (bytes.fromhex("d9d505f920a163"), False),
        (bytes.fromhex("d9d505f920a163d7"), True),
        (bytes.fromhex("d9d505f920a163d7") + bytes(504), True),
    ],
    ids=[
        "missing",
        "empty",
        "zeroed",
        "zeroed-magic-then-nonce",
        "magic-cut-short",
        "magic-only",
        "magic-then-header",
    ],
)
def test_has_hot_journal(database, content, expected):
    if content is not None:
        Path(database + "-journal").write_bytes(content)

    assert lab_db.has_hot_journal(database) is expected


def test_hot_journal_checked_before_content(lab, database, capsys):
    Path(database).write_text("not a database")
    Path(database + "-journal").write_bytes(lab.JOURNAL_MAGIC)

    exit_code = read_data.main(["--database", database])

    assert exit_code == lab_db.EXIT_HOT_JOURNAL


def test_text_file_exits_5(database, capsys):
    Path(database).write_text("customers: Alice, Bob\n")

    exit_code = read_data.main(["--database", database])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_NOT_A_DATABASE
    assert f"file {database} is not a SQLite database" in error


def test_directory_exits_5(tmp_path, capsys):
    exit_code = read_data.main(["--database", str(tmp_path)])

    assert exit_code == lab_db.EXIT_NOT_A_DATABASE
    assert f"{tmp_path} is a directory" in capsys.readouterr().err


def test_database_without_table_exits_4(lab, database, capsys):
    lab.execute_script(database, "CREATE TABLE orders (id INTEGER PRIMARY KEY);")

    exit_code = read_data.main(["--database", database])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_TABLE_NOT_FOUND
    assert f"table customers not found in database {database}" in error
    assert "run site.yml first" in error


def test_empty_file_exits_4(database, capsys):
    Path(database).write_bytes(b"")

    exit_code = read_data.main(["--database", database])

    assert exit_code == lab_db.EXIT_TABLE_NOT_FOUND
    assert Path(database).read_bytes() == b""


def test_wrong_shape_exits_6(lab, database, capsys):
    lab.execute_script(
        database,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE);"
        "INSERT INTO customers (email) VALUES ('alice@example.com');",
    )
    schema_before = lab.read_schema(database)
    before = snapshot(database)

    exit_code = read_data.main(["--database", database])

    error = capsys.readouterr().err
    assert exit_code == lab_db.EXIT_WRONG_SHAPE
    assert "columns found: id, email, UNIQUE on name: no" in error
    assert lab.read_schema(database) == schema_before
    assert snapshot(database) == before


def test_locked_database_exits_9(lab, database, capsys, monkeypatch):
    lab.create_customers_table(database, ["Alice"])
    monkeypatch.setattr(lab_db, "BUSY_TIMEOUT_SECONDS", 0.1)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        exit_code = read_data.main(["--database", database])
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert exit_code == lab_db.EXIT_SQLITE_ERROR
    assert "database is locked" in capsys.readouterr().err


def test_unknown_option_exits_2(database, capsys):
    with pytest.raises(SystemExit) as raised:
        read_data.main(["--database", database, "--all"])

    assert raised.value.code == lab_db.EXIT_INVALID_ARGUMENTS
    assert "unrecognized arguments: --all" in capsys.readouterr().err


def test_help_lists_exit_codes(capsys):
    with pytest.raises(SystemExit) as raised:
        read_data.main(["--help"])

    help_text = capsys.readouterr().out
    assert raised.value.code == 0
    assert "  3  database file not found" in help_text
    assert "  8  hot journal left by an interrupted write" in help_text


# Languages


def test_portuguese_missing_database(lab, database):
    completed = lab.run_script(
        "read_data.py", "--database", database, environment={"LAB_LANGUAGE": "pt_BR"}
    )

    error = completed.stderr.decode("utf-8")
    assert completed.returncode == lab_db.EXIT_DATABASE_NOT_FOUND
    assert error == (
        f"banco de dados {database} não encontrado: "
        "execute site.yml primeiro para criá-lo e populá-lo\n"
    )


def test_portuguese_listing(lab, database, capsys, monkeypatch):
    lab.create_customers_table(database, ["Alice"])
    monkeypatch.setenv("LAB_LANGUAGE", "pt_BR")

    read_data.main(["--database", database, "--integrity-check"])

    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"1 clientes em {database}"
    assert lines[2] == f"verificação de integridade de {database}: ok"


def test_portuguese_from_lang(lab, database):
    completed = lab.run_script(
        "read_data.py",
        "--database",
        database,
        environment={"LAB_LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "pt_BR.UTF-8"},
    )

    assert completed.returncode == lab_db.EXIT_DATABASE_NOT_FOUND
    assert "não encontrado".encode() in completed.stderr


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "en"),
        ({"LAB_LANGUAGE": "pt_BR"}, "pt_BR"),
        ({"LAB_LANGUAGE": "en", "LANG": "pt_BR.UTF-8"}, "en"),
        ({"LANG": "pt_BR.UTF-8"}, "pt_BR"),
        ({"LANG": "pt_PT.UTF-8"}, "pt_BR"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_MESSAGES": "pt_BR.UTF-8", "LANG": "en_US.UTF-8"}, "pt_BR"),
        ({"LC_ALL": "C.UTF-8", "LC_MESSAGES": "pt_BR.UTF-8"}, "en"),
        ({"LAB_LANGUAGE": "", "LANG": "pt_BR"}, "pt_BR"),
    ],
)
def test_language_detection(environment, expected):
    assert lab_db.detect_language(environment) == expected


def test_every_message_translated():
    for key, translations in lab_db.MESSAGES.items():
        assert set(translations) == {"en", "pt_BR"}, key
        english_fields = set(re.findall(r"{(\w+)}", translations["en"]))
        portuguese_fields = set(re.findall(r"{(\w+)}", translations["pt_BR"]))
        assert english_fields == portuguese_fields, key


# Dockerfile


def read_dockerfile_instructions() -> list:
    """Return the Dockerfile's lines without comments, with continuation lines joined."""
    text = DOCKERFILE.read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [
        instruction.strip()
        for instruction in "\n".join(lines).replace("\\\n", " ").splitlines()
        if instruction.strip()
    ]


def test_dockerfile_installs_nothing():
    instructions = "\n".join(read_dockerfile_instructions())

    for command in ("adduser", "useradd", "addgroup", "groupadd", "apk", "apt", "apt-get"):
        assert not re.search(rf"(?<![\w-]){re.escape(command)}(?![\w-])", instructions), command


def test_dockerfile_runs_as_numeric_user():
    instructions = read_dockerfile_instructions()

    assert "USER 10001:10001" in instructions
    assert instructions[0] == "ARG BASE_IMAGE=python:3.12-alpine"
    assert "FROM ${BASE_IMAGE}" in instructions
    assert not any(instruction.upper().startswith("VOLUME") for instruction in instructions)
    assert 'ENTRYPOINT ["python3"]' in instructions
    assert 'CMD ["/app/read_data.py"]' in instructions
