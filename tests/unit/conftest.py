"""Fixtures and helpers for the writer and reader tests, which use real SQLite files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from interrupted_write import interrupt_write

APP_DIR = Path(__file__).resolve().parents[2] / "app"
sys.path.insert(0, str(APP_DIR))

# First 8 bytes of a rollback journal after SQLite has synced its header. Such a journal is hot
# once its writer is gone, and SQLite rolls it back on the next read-write open.
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")

# User and group id of "nobody", for the tests of file permissions, which root would bypass.
NOBODY_ID = 65534
NOBODY_SWITCH = ["setpriv", f"--reuid={NOBODY_ID}", f"--regid={NOBODY_ID}", "--clear-groups"]


@pytest.fixture(autouse=True)
def english_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin in-process runs to English messages and to the --database option of each test."""
    monkeypatch.setenv("LAB_LANGUAGE", "en")
    monkeypatch.delenv("LAB_DATABASE", raising=False)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """Path of a database file that does not exist yet."""
    return str(tmp_path / "demo.db")


@pytest.fixture
def nobody_folder() -> Iterator[Path]:
    """Folder owned by root with mode 755, in which the user nobody may read but not delete.

    pytest's tmp_path is inside a folder that only its owner may enter, so this one is made in
    the system's temporary folder and removed after the test. Skips the test unless it runs as
    root with setpriv installed, because only root can run the scripts as another user, and
    unless nobody may run the test's Python.
    """
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a script as the user nobody")
    probe = subprocess.run(
        [*NOBODY_SWITCH, sys.executable, "-c", "pass"], capture_output=True, timeout=60
    )
    if probe.returncode != 0:
        pytest.skip(f"the user nobody cannot run {sys.executable}")

    folder = Path(tempfile.mkdtemp(prefix="lab-unit-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


class LabHelpers:
    """Helpers that create, inspect and damage real SQLite files, given to tests as `lab`."""

    JOURNAL_MAGIC = JOURNAL_MAGIC

    NOBODY_ID = NOBODY_ID

    @staticmethod
    def run_script(
        script: str,
        *arguments: str,
        environment: dict[str, str] | None = None,
        as_nobody: bool = False,
        command_prefix: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[bytes]:
        """Run app/SCRIPT with the test's Python and return its exit code and raw output bytes.

        The child gets LAB_LANGUAGE=en and no LAB_DATABASE unless environment sets them. With
        as_nobody, setpriv runs it as user and group nobody, which needs root. command_prefix
        wraps the command in another one, such as setpriv with other options.
        """
        child_environment = dict(os.environ)
        child_environment.pop("LAB_DATABASE", None)
        child_environment["LAB_LANGUAGE"] = "en"
        child_environment.update(environment or {})
        user_switch = NOBODY_SWITCH if as_nobody else []
        return subprocess.run(
            [*command_prefix, *user_switch, sys.executable, str(APP_DIR / script), *arguments],
            capture_output=True,
            env=child_environment,
            timeout=60,
            check=False,
        )

    @staticmethod
    def create_customers_table(path: str, names: list[str]) -> None:
        """Create the lab's table at path with the writer's schema and insert names."""
        import lab_db

        with sqlite3.connect(path) as connection:
            connection.execute(lab_db.CREATE_TABLE_SQL)
            connection.executemany(
                "INSERT INTO customers (name) VALUES (?)", [(name,) for name in names]
            )
        connection.close()

    @staticmethod
    def execute_script(path: str, sql: str) -> None:
        connection = sqlite3.connect(path)
        try:
            connection.executescript(sql)
        finally:
            connection.close()

    @staticmethod
    def read_schema(path: str) -> list[tuple]:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return connection.execute(
                "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall()
        finally:
            connection.close()

    @staticmethod
    def read_names(path: str) -> list[str]:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return [
                name for (name,) in connection.execute("SELECT name FROM customers ORDER BY id")
            ]
        finally:
            connection.close()

    interrupt_write = staticmethod(interrupt_write)


@pytest.fixture
def lab() -> type[LabHelpers]:
    return LabHelpers
