"""restore.yml on archives that are not plain lab backups, and on volumes that exist.

A rejected archive leaves no volume behind, and restored files belong to the lab's user, not to
the owner recorded in the archive. An existing volume is filled only when it carries the lab's
label and is empty.
"""

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import LABEL, PROJECT_DIR
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


def one_line(output):
    """Return output with every run of whitespace as one space, so wrapped messages match."""
    return " ".join(output.split())


def lab_backup(tmp_path, names=("Alice", "Bruno", "Carla")):
    """Write a valid lab backup containing a database with names, and return its path."""
    database = sqlite_database(tmp_path, list(names))
    return write_backup(tmp_path / "backup.tar.gz", [("data", None), ("data/demo.db", database)])


def run_archive_module(arguments):
    """Run the lab_volume_archive module once with ansible, and return its exit code and output."""
    ansible = Path(sys.executable).with_name("ansible")
    base = {key: value for key, value in os.environ.items() if not key.startswith(("LC_", "LANG"))}
    environment = dict(
        base,
        ANSIBLE_NOCOLOR="1",
        LANG="C.UTF-8",
        ANSIBLE_MODULE_UTILS=str(PROJECT_DIR / "roles/lab_backup/module_utils"),
    )
    completed = subprocess.run(
        [str(ansible), "localhost", "-M", "roles/lab_backup/library", "-m", "lab_volume_archive"]
        + ["-a", json.dumps(arguments)],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return completed.returncode, completed.stdout + completed.stderr


def test_check_mode_reports_planned_restore(lab, tmp_path):
    archive = lab_backup(tmp_path)

    check_run = lab.run("restore.yml", "--check", "-e", f"lab_backup_archive={archive}")

    assert check_run.returncode == 0, check_run.output[-4000:]
    output = one_line(check_run.output)
    assert (
        f"Check mode: the backup {archive} would be restored into the volume {lab.volume}" in output
    )
    assert "Nothing was written" in output
    assert "restored from" not in output
    assert not lab.volume_exists()


def test_check_mode_rejects_non_gzip_file(lab, tmp_path):
    archive = tmp_path / "plain.tar.gz"
    archive.write_bytes(b"Alice,Bruno,Carla\n")

    check_run = lab.run("restore.yml", "--check", "-e", f"lab_backup_archive={archive}")

    assert check_run.returncode != 0
    assert f"Backup archive {archive} is not a .tar.gz archive" in check_run.output
    assert "would be restored" not in check_run.output
    assert not lab.volume_exists()


def test_check_mode_rejects_volume_with_data(lab, tmp_path):
    archive = lab_backup(tmp_path)
    lab.client.volumes.create(lab.volume, labels={LABEL: lab.name})
    lab.put_files({"notes.txt": b"kept\n"})

    check_run = lab.run("restore.yml", "--check", "-e", f"lab_backup_archive={archive}")

    assert check_run.returncode != 0
    assert f"Volume {lab.volume} already contains files" in one_line(check_run.output)
    assert "would be restored" not in check_run.output
    assert set(volume_entries(lab)) == {"data", "data/notes.txt"}


def test_restore_fills_empty_lab_volume(lab, tmp_path):
    archive = lab_backup(tmp_path)
    # What an interrupted restore leaves: the lab's volume, created and labelled, still empty.
    lab.client.volumes.create(lab.volume, labels={LABEL: lab.name})

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")
    verify_run = lab.run("verify.yml")

    assert restore_run.returncode == 0, restore_run.output[-4000:]
    assert f"Volume {lab.volume} restored from {archive}" in one_line(restore_run.output)
    assert verify_run.returncode == 0, verify_run.output[-4000:]
    assert customers_in(lab.read_database(), tmp_path) == ["Alice", "Bruno", "Carla"]


@pytest.mark.parametrize("labels", [None, {LABEL: "another-lab"}])
def test_restore_rejects_foreign_volume(lab, tmp_path, labels):
    archive = lab_backup(tmp_path)
    lab.client.volumes.create(lab.volume, labels=labels)

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")

    assert restore_run.returncode != 0
    output = one_line(restore_run.output)
    assert f"A volume named {lab.volume} exists but was not created by this lab" in output
    assert f"label {LABEL}={lab.name} is missing" in output
    assert "TASK [lab_backup : Extract the backup into the volume]" not in restore_run.output
    assert set(volume_entries(lab)) == {"data"}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "already contains files, so nothing was restored"),
        ("pt_BR", "já contém arquivos, então nada foi restaurado"),
    ],
)
def test_restore_keeps_lab_volume_with_data(lab, tmp_path, language, message):
    archive = lab_backup(tmp_path)
    lab.client.volumes.create(lab.volume, labels={LABEL: lab.name})
    lab.put_files({"notes.txt": b"kept\n"})

    restore_run = lab.run(
        "restore.yml", "-e", f"lab_backup_archive={archive}", "-e", f"lab_language={language}"
    )

    assert restore_run.returncode != 0
    output = one_line(restore_run.output)
    assert f"{lab.volume} {message}" in output
    assert "-e lab_teardown_remove_volume=true" in output
    assert set(volume_entries(lab)) == {"data", "data/notes.txt"}


@pytest.mark.parametrize(
    "setting", [[], ["-e", "lab_backup_archive="], ["-e", '{"lab_backup_archive": null}']]
)
def test_restore_without_archive_reports_unset(lab, setting):
    restore_run = lab.run("restore.yml", *setting)

    assert restore_run.returncode != 0
    output = one_line(restore_run.output)
    assert "lab_backup_archive is not set" in output
    assert "-e lab_backup_archive=~/persistence-lab-backups/<file>.tar.gz" in output
    assert "filter plugin" not in output
    assert "NoneType" not in output
    assert not lab.volume_exists()


def test_folder_archive_reported_not_file(lab, tmp_path):
    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={tmp_path}")

    assert restore_run.returncode != 0
    output = one_line(restore_run.output)
    assert f"Backup archive {tmp_path} is not a file." in output
    assert "not found" not in output
    assert "file.." not in output
    assert not lab.volume_exists()


def test_module_messages_follow_language(lab, tmp_path):
    lab.client.volumes.create(lab.volume, labels={LABEL: lab.name})
    common = {"path": str(tmp_path / "none.tar.gz"), "state": "imported", "language": "pt_BR"}
    image = "persistence-lab-python:3.11-bookworm"

    missing_volume = run_archive_module(dict(common, volume=f"{lab.name}-missing", images=[image]))
    missing_image = run_archive_module(
        dict(common, volume=lab.volume, images=[f"{lab.name}-missing:latest"])
    )
    no_engine = run_archive_module(
        dict(
            common,
            volume=lab.volume,
            images=[image],
            docker_host=f"unix://{tmp_path}/no-engine.sock",
        )
    )

    assert missing_volume[0] != 0
    assert f"Volume {lab.name}-missing não encontrado" in one_line(missing_volume[1])
    assert missing_image[0] != 0
    assert "Nenhuma das imagens" in one_line(missing_image[1])
    assert no_engine[0] != 0
    assert "Erro do Docker engine" in one_line(no_engine[1])
