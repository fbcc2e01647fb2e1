"""Fixtures and helpers for the writer and reader tests, which use real SQLite files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from interrupted_write import interrupt_write

APP_DIR = Path(__file__).resolve().parents[2] / "app"
sys.path.insert(0, str(APP_DIR))

# First 8 bytes of a rollback journal after SQLite has synced its header. Such a journal is hot
# once its writer is gone, and SQLite rolls it back on the next read-write open.
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


@pytest.fixture(autouse=True)
def english_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin in-process runs to English messages and to the --database option of each test."""
    monkeypatch.setenv("LAB_LANGUAGE", "en")
    monkeypatch.delenv("LAB_DATABASE", raising=False)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """Path of a database file that does not exist yet."""
    return str(tmp_path / "demo.db")


class LabHelpers:
    """Helpers that create, inspect and damage real SQLite files, given to tests as `lab`."""

    JOURNAL_MAGIC = JOURNAL_MAGIC

    @staticmethod
    def run_script(
        script: str, *arguments: str, environment: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run app/SCRIPT with the test's Python and return its exit code and raw output bytes.

        The child gets LAB_LANGUAGE=en and no LAB_DATABASE unless environment sets them.
        """
        child_environment = dict(os.environ)
        child_environment.pop("LAB_DATABASE", None)
        child_environment["LAB_LANGUAGE"] = "en"
        child_environment.update(environment or {})
        return subprocess.run(
            [sys.executable, str(APP_DIR / script), *arguments],
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
