"""Faults of the engine, the data and the settings: each stops with a message and loses no data."""

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import LABEL, run_playbook
from interrupted_write import interrupt_write
from test_playbooks import customers_in


def make_database(path, statements):
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    return path.read_bytes()


def test_verify_rejects_file_that_is_not_database(provisioned_lab):
    lab, _ = provisioned_lab
    original = lab.read_database()
    lab.put_files({"demo.db": b"these are not the customers you are looking for\n" * 20})
    try:
        verify_run = lab.run("verify.yml")
        site_run = lab.run("site.yml")

        assert verify_run.returncode != 0
        assert "exit code 5" in verify_run.output
        assert site_run.returncode != 0
        assert "exit code 5" in site_run.output
        assert lab.read_database().startswith(b"these are not the customers")
    finally:
        lab.put_files({"demo.db": original})


def test_site_keeps_table_of_other_shape(provisioned_lab, tmp_path):
    lab, _ = provisioned_lab
    original = lab.read_database()
    foreign = make_database(
        tmp_path / "foreign.db",
        [
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)",
            "INSERT INTO customers (email) VALUES ('ana@example.org')",
        ],
    )
    lab.put_files({"demo.db": foreign})
    try:
        site_run = lab.run("site.yml")

        assert site_run.returncode != 0
        assert "exit code 6" in site_run.output
        assert "email" in site_run.output
        assert lab.read_database() == foreign
    finally:
        lab.put_files({"demo.db": original})


def test_interrupted_seed_is_rolled_back(provisioned_lab, tmp_path):
    lab, _ = provisioned_lab
    database = tmp_path / "demo.db"
    database.write_bytes(lab.read_database())
    interrupt_write(database)
    journal = tmp_path / "demo.db-journal"
    assert journal.stat().st_size > 0
    lab.put_files({"demo.db": database.read_bytes(), "demo.db-journal": journal.read_bytes()})

    verify_run = lab.run("verify.yml")
    site_run = lab.run("site.yml", "-e", '{"lab_customers": ["Alice", "Bruno", "Carla", "Dora"]}')

    assert verify_run.returncode != 0
    assert "exit code 8" in verify_run.output
    assert site_run.returncode == 0, site_run.output[-4000:]
    assert "Inserted 1 of 4" in site_run.output
    assert customers_in(lab.read_database(), tmp_path) == ["Alice", "Bruno", "Carla", "Dora"]


def test_verify_runs_integrity_check(provisioned_lab, tmp_path):
    lab, _ = provisioned_lab
    original = lab.read_database()
    damaged = bytearray(original)
    # Page 2 is the customers table, and its page header starts at its first byte.
    page_size = int.from_bytes(original[16:18], "big")
    damaged[page_size : page_size + 8] = b"\xff" * 8
    lab.put_files({"demo.db": bytes(damaged)})
    try:
        verify_run = lab.run("verify.yml")

        assert verify_run.returncode != 0
        assert "exit code 5" in verify_run.output
        assert lab.read_database() == bytes(damaged)
    finally:
        lab.put_files({"demo.db": original})


def test_backup_and_restore_keep_customers(lab, tmp_path):
    backups = tmp_path / "backups"
    extra = '{"lab_customers": ["Alice", "Bruno", "Carla", "Zoë"]}'
    assert lab.run("site.yml", "-e", extra).returncode == 0
    before = lab.read_database()

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={backups}"
    )
    archives = sorted(backups.glob(f"{lab.volume}-*.tar.gz"))
    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archives[0]}")
    verify_run = lab.run("verify.yml", "-e", extra)

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert len(archives) == 1
    assert str(archives[0]) in cleanup_run.output
    assert restore_run.returncode == 0, restore_run.output[-4000:]
    assert verify_run.returncode == 0, verify_run.output[-4000:]
    assert hashlib.sha256(lab.read_database()).digest() == hashlib.sha256(before).digest()
    assert lab.client.volumes.get(lab.volume).attrs["Labels"][LABEL] == lab.name


def test_restore_rejects_volume_with_data(lab, tmp_path):
    backups = tmp_path / "backups"
    assert lab.run("site.yml").returncode == 0
    lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={backups}"
    )
    archive = next(backups.glob("*.tar.gz"))
    assert lab.run("site.yml", "-e", '{"lab_customers": ["Other"]}').returncode == 0
    before = lab.read_database()

    restore_run = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")

    assert restore_run.returncode != 0
    assert f"Volume {lab.volume} already contains files" in " ".join(restore_run.output.split())
    assert lab.read_database() == before


def test_cleanup_never_removes_foreign_volume(lab, tmp_path):
    lab.client.volumes.create(lab.volume)

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={tmp_path}"
    )

    assert cleanup_run.returncode != 0
    assert "was not created by this lab" in cleanup_run.output
    assert lab.volume_exists()


def test_missing_engine_names_socket(lab, tmp_path):
    socket = tmp_path / "no-engine.sock"

    verify_run = lab.run("verify.yml", environment={"DOCKER_HOST": f"unix://{socket}"})

    assert verify_run.returncode != 0
    assert f"No Docker engine answers at unix://{socket}" in verify_run.output
    assert "DOCKER_HOST" in verify_run.output


def test_invalid_lab_name_rejected(lab):
    # Docker accepts upper case in volume names but not in image names.
    bad_name = lab.name.upper()

    run = run_playbook("site.yml", "-e", f"lab_name={bad_name}")

    assert run.returncode != 0
    assert f'Invalid lab_name "{bad_name}"' in run.output
    assert not lab.client.volumes.list(filters={"name": bad_name})
    assert not lab.client.networks.list(names=[f"{bad_name}-net"])


def test_site_seeds_customers_file(lab, tmp_path):
    customers_file = tmp_path / "turma.csv"
    names = [f"Aluno {number:04d} Conceição" for number in range(2000)]
    customers_file.write_bytes(("\ufeffname\r\n" + "".join(f"{n}\r\n" for n in names)).encode())

    site_run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}")
    verify_run = lab.run("verify.yml", "-e", f"lab_customers_file={customers_file}")

    assert site_run.returncode == 0, site_run.output[-4000:]
    assert "Inserted 2003 of 2003" in site_run.output
    assert verify_run.returncode == 0, verify_run.output[-4000:]
    assert "All 2003 seeded customers" in verify_run.output
    assert customers_in(lab.read_database(), tmp_path) == ["Alice", "Bruno", "Carla", *names]


def test_site_rejects_invalid_customers_file(lab, tmp_path):
    customers_file = tmp_path / "turma.csv"
    customers_file.write_bytes(b"name\nAna\nJo\xe3o\n")

    site_run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}")

    assert site_run.returncode != 0
    assert f"customers file {customers_file}, line 3: not valid UTF-8" in site_run.output
    assert not lab.volume_exists()
    assert not lab.network_exists()


def test_site_rejects_customers_not_list(lab):
    site_run = lab.run("site.yml", "-e", "lab_customers=Alice")

    assert site_run.returncode != 0
    assert "lab_customers must be a list of names" in site_run.output
    assert not lab.volume_exists()


def test_restore_of_broken_archive_leaves_no_volume(lab, tmp_path):
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"not a backup\n")

    first = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")
    second = lab.run("restore.yml", "-e", f"lab_backup_archive={archive}")

    assert first.returncode != 0
    assert "is not a .tar.gz archive" in first.output
    assert not lab.volume_exists()
    assert second.returncode != 0
    assert "is not a .tar.gz archive" in second.output


def test_site_refuses_foreign_network(lab):
    network = lab.client.networks.create(lab.network)

    run = lab.run("site.yml")

    assert run.returncode != 0
    assert f"A network named {lab.network} exists but was not created by this lab" in run.output
    assert lab.client.networks.get(lab.network).id == network.id
    assert not lab.volume_exists()


def test_cleanup_leaves_foreign_container(lab):
    image = lab.any_local_image()
    foreign = lab.client.containers.create(image, command=["true"], name=f"{lab.name}-writer")
    assert lab.run("site.yml", "-e", f"lab_writer_container_name={lab.name}-w2").returncode == 0

    cleanup_run = lab.run("cleanup.yml")

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert f"container {lab.name}-writer" in " ".join(cleanup_run.output.split())
    assert lab.client.containers.get(foreign.id).name == f"{lab.name}-writer"
    assert not lab.network_exists()
    assert f"cleanup.yml -e lab_name={lab.name} -e lab_teardown_remove_volume=true" in " ".join(
        cleanup_run.output.split()
    )


def test_killed_writer_leaves_database_unchanged(provisioned_lab, tmp_path):
    lab, _ = provisioned_lab
    mountpoint = Path(lab.client.volumes.get(lab.volume).attrs["Mountpoint"])
    if not os.access(mountpoint, os.R_OK):
        pytest.skip("the volume's folder on the engine host is not readable here")
    names = [f"Killed {number:05d}" for number in range(5000)]
    before = lab.read_database()

    # A read transaction on the engine host holds a shared lock, so the writer can begin its
    # transaction and fill its journal but cannot commit: it waits, and is killed while waiting.
    reader = sqlite3.connect(f"file:{mountpoint}/demo.db?mode=ro", uri=True)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM customers").fetchone()
    writer = lab.client.containers.run(
        lab.image,
        ["/app/write_data.py", "--json", "--", *names],
        name=f"{lab.name}-killed-writer",
        user="10001:10001",
        volumes={lab.volume: {"bind": "/data", "mode": "rw"}},
        network_mode="none",
        detach=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not (mountpoint / "demo.db-journal").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (mountpoint / "demo.db-journal").exists()
        writer.kill()
    finally:
        reader.close()
        writer.remove(force=True)

    after_kill = lab.read_database()
    customers_file = tmp_path / "killed.json"
    customers_file.write_text(json.dumps(names))
    site_run = lab.run("site.yml", "-e", f"lab_customers_file={customers_file}")

    assert after_kill == before
    assert site_run.returncode == 0, site_run.output[-4000:]
    assert "Inserted 5000 of 5003" in site_run.output
    assert customers_in(lab.read_database(), tmp_path)[:3] == ["Alice", "Bruno", "Carla"]


def test_site_without_volume_step_creates_none(lab):
    run = lab.run("site.yml", "--skip-tags", "volume")

    assert run.returncode != 0
    assert f"The volume {lab.volume} does not exist, so the container" in " ".join(
        run.output.split()
    )
    assert not lab.volume_exists()


def test_site_rejects_empty_volume_labels(lab):
    run = lab.run("site.yml", "-e", '{"lab_volume_labels": {}}')

    assert run.returncode != 0
    assert "lab_volume_labels is empty" in run.output
    assert not lab.volume_exists()


def test_site_leaves_running_lab_container(provisioned_lab):
    lab, _ = provisioned_lab
    # A lab container of another run on this lab, still at work.
    busy = lab.client.containers.run(
        lab.image,
        command=["-c", "import time; time.sleep(300)"],
        name=f"{lab.name}-writer",
        labels={LABEL: lab.name},
        network_mode="none",
        detach=True,
    )
    try:
        run = lab.run("site.yml")
        busy.reload()
        still_running = busy.status == "running"
    finally:
        busy.remove(force=True)
    rerun = lab.run("site.yml")

    assert run.returncode != 0
    assert f"The lab's container {lab.name}-writer is still running" in " ".join(run.output.split())
    assert still_running
    assert rerun.returncode == 0, rerun.output[-4000:]


@pytest.mark.parametrize(
    "extra_labels",
    ['"course=x"', '{"n": 1}', '{"io.persistence-lab.name": "other"}', '{"course": null}'],
)
def test_site_rejects_invalid_extra_labels(lab, extra_labels):
    run = lab.run("site.yml", "-e", f'{{"lab_volume_extra_labels": {extra_labels}}}')

    assert run.returncode != 0
    assert "Invalid lab_volume_extra_labels" in run.output
    assert not lab.volume_exists()
    assert not lab.image_exists()
    assert not lab.network_exists()
