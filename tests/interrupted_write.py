"""A write that dies in the middle of its transaction, as a killed writer container would."""

import subprocess
import sys

# Run in a child process: start a write that spills to the database file, then exit without
# committing or rolling back. The rollback journal it leaves is hot, and SQLite rolls it back on
# the next read-write open.
INTERRUPTED_WRITE_SCRIPT = """
import os
import sqlite3
import sys

connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA cache_size = 1")
connection.execute("BEGIN IMMEDIATE")
for number in range(3000):
    name = "Interrupted %05d " % number + "x" * 100
    connection.execute("INSERT INTO customers (name) VALUES (?)", (name,))
os._exit(0)
"""


def interrupt_write(path):
    """Leave a hot journal next to the database at path, from a write killed after it began."""
    subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WRITE_SCRIPT, str(path)], check=True, timeout=60
    )
