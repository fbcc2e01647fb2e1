"""site.yml, verify.yml and cleanup.yml against the real Docker engine."""

import hashlib
import json
import sqlite3

from conftest import LABEL


def customers_in(database_bytes, tmp_path):
    """Return the customer names stored in a copy of demo.db, in id order."""
    path = tmp_path / "copy.db"
    path.write_bytes(database_bytes)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM customers ORDER BY id")]


def test_site_seeds_default_customers(provisioned_lab, tmp_path):
    lab, first_run = provisioned_lab

    assert first_run.count("failed") == 0
    assert first_run.count("changed") > 0
    assert lab.volume_exists()
    assert customers_in(lab.read_database(), tmp_path) == ["Alice", "Bruno", "Carla"]


def test_site_labels_volume_as_lab(provisioned_lab):
    lab, _ = provisioned_lab

    volume = lab.client.volumes.get(lab.volume)

    assert volume.attrs["Labels"][LABEL] == lab.name


def test_site_second_run_changes_nothing(provisioned_lab):
    lab, _ = provisioned_lab

    second_run = lab.run("site.yml")

    assert second_run.returncode == 0, second_run.output[-4000:]
    assert second_run.count("changed") == 0, second_run.output[-4000:]


def test_verify_leaves_database_identical(provisioned_lab):
    lab, _ = provisioned_lab
    before = hashlib.sha256(lab.read_database()).hexdigest()

    verify_run = lab.run("verify.yml")

    assert verify_run.returncode == 0, verify_run.output[-4000:]
    assert verify_run.count("changed") == 0
    assert "All 3 seeded customers" in verify_run.output
    assert hashlib.sha256(lab.read_database()).hexdigest() == before


def test_site_check_mode_on_provisioned_lab(provisioned_lab):
    lab, _ = provisioned_lab

    check_run = lab.run("site.yml", "--check")

    assert check_run.returncode == 0, check_run.output[-4000:]
    assert check_run.count("changed") == 0, check_run.output[-4000:]


def test_cleanup_check_mode_removes_nothing(provisioned_lab, tmp_path):
    lab, _ = provisioned_lab
    backups = tmp_path / "backups"

    check_run = lab.run(
        "cleanup.yml",
        "--check",
        "-e",
        "lab_teardown_remove_volume=true",
        "-e",
        f"lab_backup_dir={backups}",
    )

    assert check_run.returncode == 0, check_run.output[-4000:]
    output = " ".join(check_run.output.split())
    assert f"Check mode: a backup of volume {lab.volume} would be written to {backups}/" in output
    assert f"Check mode: the volume {lab.volume} would be DELETED" in output
    assert "DELETED the volume" not in output
    assert not backups.exists()
    assert lab.volume_exists()
    assert lab.network_exists()
    assert lab.image_exists()


def test_site_seeds_extra_customers_once(provisioned_lab, tmp_path):
    lab, _ = provisioned_lab
    names = ["Alice", "Bruno", "Carla", "Zoë Ğüneş", "山田 太郎", "محمد", "Émile 🚀"]
    extra = json.dumps({"lab_customers": names})

    first = lab.run("site.yml", "-e", extra)
    second = lab.run("site.yml", "-e", extra)

    assert first.returncode == 0, first.output[-4000:]
    assert "Inserted 4 of 7" in first.output
    assert second.count("changed") == 0, second.output[-4000:]
    stored = customers_in(lab.read_database(), tmp_path)
    assert [name.encode() for name in stored] == [name.encode() for name in names]


def test_cleanup_keeps_volume_and_verify_passes(lab, tmp_path):
    assert lab.run("site.yml").returncode == 0

    cleanup_run = lab.run("cleanup.yml")

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert lab.volume_exists()
    assert not lab.network_exists()
    assert not lab.image_exists()
    assert not lab.client.containers.list(all=True, filters={"name": lab.name})
    check_run = lab.run("site.yml", "--check")
    assert check_run.returncode == 0, check_run.output[-4000:]
    assert "check mode cannot dry-run the writer on the existing volume" in " ".join(
        check_run.output.split()
    )
    assert "would create" not in check_run.output
    assert not lab.image_exists()
    verify_run = lab.run("verify.yml")
    assert verify_run.returncode == 0, verify_run.output[-4000:]
    assert customers_in(lab.read_database(), tmp_path) == ["Alice", "Bruno", "Carla"]


def test_cleanup_removes_volume_when_asked(lab, tmp_path):
    assert lab.run("site.yml").returncode == 0

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={tmp_path}"
    )

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert "DELETED the volume" in cleanup_run.output
    assert len(list(tmp_path.glob(f"{lab.volume}-*.tar.gz"))) == 1
    assert not lab.volume_exists()
    verify_run = lab.run("verify.yml")
    assert verify_run.returncode != 0
    assert "run site.yml first" in verify_run.output
    assert not lab.volume_exists()


def test_verify_without_lab_speaks_portuguese(lab):
    # LANGUAGE selects the messages; the machine may not have a pt_BR locale installed.
    verify_run = lab.run("verify.yml", environment={"LANGUAGE": "pt_BR:pt"})

    assert verify_run.returncode != 0
    assert "execute site.yml" in verify_run.output
    assert not lab.volume_exists()


def test_site_rebuilds_image_after_app_change(lab, app_copy):
    source = f"lab_app_image_source_dir={app_copy}"
    assert lab.run("site.yml", "-e", source).returncode == 0
    first_id = lab.client.images.get(lab.image).id

    with (app_copy / "read_data.py").open("a", encoding="utf-8") as script:
        script.write("\n# changed by the integration test\n")
    rebuild_run = lab.run("site.yml", "-e", source)

    assert rebuild_run.returncode == 0, rebuild_run.output[-4000:]
    assert rebuild_run.count("changed") == 1, rebuild_run.output[-4000:]
    assert lab.client.images.get(lab.image).id != first_id


def test_site_check_mode_creates_nothing(lab):
    check_run = lab.run("site.yml", "--check")

    assert check_run.returncode == 0, check_run.output[-4000:]
    assert check_run.count("changed") > 0
    assert not lab.volume_exists()
    assert not lab.network_exists()
    assert not lab.image_exists()


def test_site_rejects_invalid_customers(lab):
    # Entry 5 contains a soft hyphen (U+00AD), an invisible format character.
    customers = '{"lab_customers": ["Alice", "  ", 42, "Alice", "Jo\\u00adana"]}'

    run = lab.run("site.yml", "-e", customers)

    assert run.returncode != 0
    assert "entry 2" in run.output
    assert "entry 3" in run.output
    assert "entry 4" in run.output
    assert 'entry 5 ("Jo\\u00adana"): contains a control or invisible' in run.output
    assert not lab.volume_exists()


def test_site_refuses_foreign_volume(lab):
    lab.client.volumes.create(lab.volume)

    run = lab.run("site.yml")

    assert run.returncode != 0
    assert "was not created by this lab" in run.output
    assert LABEL not in (lab.client.volumes.get(lab.volume).attrs["Labels"] or {})


def test_verify_ignores_tag_filters(lab):
    run = lab.run("verify.yml", "--tags", "reader")

    assert run.returncode != 0
    assert f"The volume {lab.volume} does not exist" in " ".join(run.output.split())
