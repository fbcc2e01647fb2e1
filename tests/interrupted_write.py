"""A write that dies in the middle of its transaction, as a killed writer container would."""

import subprocess
import sys

# Run in a child process: start a write, then exit without committing or rolling back.
#
# With "spill", a one-page cache makes SQLite write changed pages to the database file in the
# middle of the transaction. It syncs the journal and writes the journal magic into its header
# first, so the journal left behind is hot, and SQLite rolls it back on the next read-write
# open.
#
# With "no-spill", SQLite keeps every changed page in memory. It has written the original pages
# to the journal but not yet synced it, so the header stays zeroed and the database file is
# unchanged. SQLite ignores such a journal.
INTERRUPTED_WRITE_SCRIPT = """
import os
import sqlite3
import sys

connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA synchronous = FULL")
if sys.argv[2] == "spill":
    connection.execute("PRAGMA cache_size = 1")
else:
    connection.execute("PRAGMA cache_spill = OFF")
connection.execute("BEGIN IMMEDIATE")
for number in range(3000):
    name = "Interrupted %05d " % number + "x" * 100
    connection.execute("INSERT INTO customers (name) VALUES (?)", (name,))
os._exit(0)
"""


def interrupt_write(path, spill=True):
    """Leave the journal of a write killed after it began next to the database at path.

    The journal is hot when spill is true, and has a zeroed header when spill is false.
    """
    mode = "spill" if spill else "no-spill"
    subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WRITE_SCRIPT, str(path), mode], check=True, timeout=60
    )
