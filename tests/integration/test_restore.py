"""restore.yml on archives that are not plain lab backups.

A rejected archive leaves no volume behind, and restored files belong to the lab's user, not to
the owner recorded in the archive.
"""

import io
import sqlite3
import tarfile

import pytest
from test_playbooks import customers_in

APP_USER = 10001


def sqlite_database(tmp_path, names):
    """Return the bytes of a database with the writer's customers table, containing names."""
    path = tmp_path / "source.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),"
            " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
        )
        connection.executemany("INSERT INTO customers (name) VALUES (?)", [(n,) for n in names])
    connection.close()
    return path.read_bytes()


def write_backup(path, entries):
    """Write a .tar.gz at path from (name, content) pairs, where content None makes a folder.

    Every entry belongs to root with mode 0644 (folders 0755), as `tar` run by root writes them.
    """
    with tarfile.open(path, "w:gz") as archive:
        for name, content in entries:
            entry = tarfile.TarInfo(name)
            entry.uid = entry.gid = 0
            entry.uname = entry.gname = "root"
            if content is None:
                entry.type, entry.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(entry)
            else:
                entry.size, entry.mode = len(content), 0o644
                archive.addfile(entry, io.BytesIO(content))
    return path


def volume_entries(lab):
    """Return {name: (uid, gid, mode)} of every entry in the volume, read by a stopped container."""
    container = lab.client.containers.create(
        lab.any_local_image(),
        command=["true"],
        volumes={lab.volume: {"bind": "/data", "mode": "ro"}},
        network_mode="none",
    )
    try:
        chunks, _ = container.get_archive("/data")
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as archive:
            return {m.name: (m.uid, m.gid, m.mode & 0o7777) for m in archive.getmembers()}
    finally:
        container.remove(force=True)


def test_empty_tar_rejected(lab, tmp_path):
    archive = write_backup(tmp_path / "empty.tar.gz", [])

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")

    assert restore_run.returncode != 0
    assert f"Backup archive {archive} contains no entries" in restore_run.output
    assert "Nothing was restored" in restore_run.output
    assert not lab.volume_exists()


def test_tar_without_database_rejected(lab, tmp_path):
    archive = write_backup(
        tmp_path / "no-db.tar.gz", [("data", None), ("data/notes.txt", b"hello\n")]
    )

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")

    assert restore_run.returncode != 0
    assert f"Backup archive {archive} has no data/demo.db" in restore_run.output
    assert "entries found: data, data/notes.txt" in restore_run.output
    assert not lab.volume_exists()


def test_database_not_sqlite_rejected(lab, tmp_path):
    archive = write_backup(
        tmp_path / "text.tar.gz", [("data", None), ("data/demo.db", b"Alice,Bruno,Carla\n" * 4)]
    )

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")

    assert restore_run.returncode != 0
    assert "data/demo.db is not a SQLite database" in restore_run.output
    assert str(archive) in restore_run.output
    assert not lab.volume_exists()


@pytest.mark.parametrize(
    ("member", "reason"),
    [("data/../evil", "path with .."), ("/etc/x", "absolute path"), ("etc/x", "not under data/")],
)
def test_entry_outside_data_rejected(lab, tmp_path, member, reason):
    database = sqlite_database(tmp_path, ["Alice"])
    archive = write_backup(
        tmp_path / "escape.tar.gz",
        [("data", None), ("data/demo.db", database), (member, b"owned\n")],
    )

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")

    assert restore_run.returncode != 0
    assert f"{member} ({reason})" in restore_run.output
    assert "does not extract" in restore_run.output
    assert not lab.volume_exists()


def test_rejection_message_in_portuguese(lab, tmp_path):
    archive = write_backup(tmp_path / "vazio.tar.gz", [])

    restore_run = lab.run(
        "restore.yml", "-e", f"lab_backup_archive={archive}", "-e", "lab_language=pt_BR"
    )

    assert restore_run.returncode != 0
    assert f"O arquivo de backup {archive} não contém nenhuma entrada" in restore_run.output
    assert "Nada foi restaurado" in restore_run.output
    assert not lab.volume_exists()


def test_root_owned_backup_writable(lab, tmp_path):
    database = sqlite_database(tmp_path, ["Alice", "Bruno", "Carla"])
    archive = write_backup(tmp_path / "root.tar.gz", [("data", None), ("data/demo.db", database)])
    extra = '{"lab_customers": ["Alice", "Bruno", "Carla", "Dora"]}'

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")
    owners = volume_entries(lab)
    site_run = lab.run("site.yml", "-e", extra)
    verify_run = lab.run("verify.yml", "-e", extra)

    assert restore_run.returncode == 0, restore_run.output[-4000:]
    assert owners["data"] == (APP_USER, APP_USER, 0o755)
    assert owners["data/demo.db"] == (APP_USER, APP_USER, 0o644)
    assert site_run.returncode == 0, site_run.output[-4000:]
    assert "Inserted 1 of 4" in site_run.output
    assert verify_run.returncode == 0, verify_run.output[-4000:]
    assert customers_in(lab.read_database(), tmp_path) == ["Alice", "Bruno", "Carla", "Dora"]


def test_backup_without_top_folder_entry(lab, tmp_path):
    database = sqlite_database(tmp_path, ["Alice", "Bruno", "Carla"])
    archive = write_backup(tmp_path / "flat.tar.gz", [("data/demo.db", database)])

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")
    owners = volume_entries(lab)
    site_run = lab.run("site.yml", "-e", '{"lab_customers": ["Dora"]}')

    assert restore_run.returncode == 0, restore_run.output[-4000:]
    assert owners["data"][:2] == (APP_USER, APP_USER)
    assert site_run.returncode == 0, site_run.output[-4000:]
    assert customers_in(lab.read_database(), tmp_path) == ["Alice", "Bruno", "Carla", "Dora"]


def test_import_rejects_archive_and_removes_volume(lab, tmp_path):
    archive = write_backup(
        tmp_path / "escape.tar.gz",
        [("data", None), ("data/demo.db", sqlite_database(tmp_path, ["Alice"])), ("/etc/x", b"")],
    )

    restore_run = lab.run(
        "tests/integration/playbooks/restore_unchecked.yml",
        "-e", f"lab_backup_archive={archive}",
        "-e", "lab_language=pt_BR",
    )  # fmt: skip

    assert restore_run.returncode != 0
    assert f"A restauração de {archive} no volume {lab.volume} falhou" in restore_run.output
    assert "/etc/x (caminho absoluto)" in restore_run.output
    assert "rescued=1" in restore_run.output
    assert not lab.volume_exists()
