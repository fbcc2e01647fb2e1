"""cleanup.yml: the backup folder, unknown labs, check mode, and objects other containers use.

The volumes here are created through the Docker SDK with the lab's label, so most tests need no
site.yml run: the backup helper mounts them with the base image.
"""

import io
import stat
import tarfile

import pytest
from conftest import LABEL


def one_line(output):
    """Return output with every run of whitespace as one space, so wrapped messages match."""
    return " ".join(output.split())


def task_output(output, task):
    """Return the lines that the task named task printed, up to the next task header."""
    start = output.index(f"TASK [{task}]")
    end = output.find("TASK [", start + 1)
    return output[start : end if end != -1 else None]


def create_lab_volume(lab):
    lab.client.volumes.create(lab.volume, labels={LABEL: lab.name})
    lab.put_files({"demo.db": b"SQLite format 3\x00"})


def folder_mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_existing_backup_folder_keeps_mode(lab, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    create_lab_volume(lab)

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={shared}"
    )

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert folder_mode(shared) == 0o755
    assert len(list(shared.glob(f"{lab.volume}-*.tar.gz"))) == 1
    assert not lab.volume_exists()


def test_missing_backup_folder_created_private(lab, tmp_path):
    backups = tmp_path / "new" / "backups"
    create_lab_volume(lab)

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={backups}"
    )

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert folder_mode(backups) == 0o700
    assert len(list(backups.glob(f"{lab.volume}-*.tar.gz"))) == 1


def test_backup_folder_that_is_file_rejected(lab, tmp_path):
    not_folder = tmp_path / "backups"
    not_folder.write_text("a file\n")
    create_lab_volume(lab)

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={not_folder}"
    )

    assert cleanup_run.returncode != 0
    assert f"lab_backup_dir {not_folder} exists but is not a folder" in one_line(cleanup_run.output)
    assert lab.volume_exists()


@pytest.mark.parametrize(
    ("setting", "language", "message"),
    [
        ('{"lab_backup_dir": null}', "en", "lab_backup_dir is not set"),
        ('{"lab_backup_dir": ""}', "en", "lab_backup_dir is not set"),
        ('{"lab_backup_dir": null}', "pt_BR", "lab_backup_dir não está definido"),
    ],
)
def test_unset_backup_folder_rejected(lab, setting, language, message):
    create_lab_volume(lab)

    cleanup_run = lab.run(
        "cleanup.yml",
        "-e", "lab_teardown_remove_volume=true",
        "-e", setting,
        "-e", f"lab_language={language}",
    )  # fmt: skip

    assert cleanup_run.returncode != 0
    output = one_line(cleanup_run.output)
    assert message in output
    assert "filter plugin" not in output
    assert "NoneType" not in output
    assert lab.volume_exists()


@pytest.mark.parametrize("remove_volume", ["false", "true"])
def test_unknown_lab_reports_nothing_found(lab, remove_volume):
    cleanup_run = lab.run("cleanup.yml", "-e", f"lab_teardown_remove_volume={remove_volume}")

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    output = one_line(cleanup_run.output)
    assert f"Nothing of lab {lab.name} was found on the engine" in output
    assert "Check lab_name" in output
    assert "DELETED" not in output
    assert f"There is no volume {lab.volume}" not in output


def test_unknown_lab_message_in_portuguese(lab):
    cleanup_run = lab.run("cleanup.yml", "-e", "lab_language=pt_BR")

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert f"Nada do laboratório {lab.name} foi encontrado" in one_line(cleanup_run.output)


def test_deleting_without_backup_reports_it(lab, tmp_path):
    backups = tmp_path / "backups"
    create_lab_volume(lab)
    settings = [
        "-e", "lab_teardown_remove_volume=true",
        "-e", "lab_teardown_backup=false",
        "-e", f"lab_backup_dir={backups}",
    ]  # fmt: skip

    check_run = lab.run("cleanup.yml", "--check", *settings)
    cleanup_run = lab.run("cleanup.yml", *settings)

    assert check_run.returncode == 0, check_run.output[-4000:]
    assert (
        "No backup would be written, because lab_teardown_backup is false. Nothing was removed"
        in (one_line(check_run.output))
    )
    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    output = one_line(cleanup_run.output)
    assert f"DELETED the volume {lab.volume}" in output
    assert "No backup was written, because lab_teardown_backup is false" in output
    assert not backups.exists()
    assert not lab.volume_exists()


def test_deleting_after_backup_omits_note(lab, tmp_path):
    create_lab_volume(lab)

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={tmp_path}"
    )

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert "No backup was written" not in one_line(cleanup_run.output)


def test_check_mode_reports_app_image_once(lab):
    assert lab.run("site.yml").returncode == 0
    image_id = lab.client.images.get(lab.image).id

    check_run = lab.run("cleanup.yml", "--check")

    assert check_run.returncode == 0, check_run.output[-4000:]
    removed = task_output(check_run.output, "lab_teardown : Ensure the lab's app image is removed")
    earlier = task_output(
        check_run.output, "lab_teardown : Ensure the earlier app images are removed"
    )
    assert "changed:" in removed
    assert image_id not in earlier
    assert "changed:" not in earlier
    assert lab.image_exists()


def test_unrestorable_backup_keeps_volume(lab, tmp_path):
    create_lab_volume(lab)
    # A link out of the volume: cleanup.yml can back it up, but restore.yml rejects it.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        link = tarfile.TarInfo("data/notes-link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/hostname"
        archive.addfile(link)
    helper = lab.client.containers.create(
        lab.any_local_image(), command=["true"], volumes={lab.volume: {"bind": "/data"}}
    )
    try:
        helper.put_archive("/", buffer.getvalue())
    finally:
        helper.remove(force=True)

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", f"lab_backup_dir={tmp_path}"
    )

    assert cleanup_run.returncode != 0
    output = one_line(cleanup_run.output)
    assert "data/notes-link" in output
    assert "restore.yml would reject this backup, so the volume was not removed" in output
    assert "DELETED" not in output
    assert lab.volume_exists()


def test_cleanup_keeps_image_built_from_app(lab):
    assert lab.run("site.yml").returncode == 0
    # A student's image built FROM the lab's app image inherits the lab's label.
    dockerfile = io.BytesIO(f"FROM {lab.image}\nLABEL course=student\n".encode())
    child, _ = lab.client.images.build(fileobj=dockerfile, tag=f"{lab.name}-child:v1", rm=True)

    cleanup_run = lab.run("cleanup.yml")

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert lab.client.images.get(child.id).tags == [f"{lab.name}-child:v1"]
    assert not lab.image_exists()


def test_leftover_archive_helper_removed(lab):
    create_lab_volume(lab)
    # What an interrupted backup leaves: its helper container, created and never started.
    helper = lab.client.containers.create(
        lab.any_local_image(),
        command=["true"],
        name=f"{lab.volume}-archive-left",
        labels={"io.persistence-lab.helper": "archive"},
        volumes={lab.volume: {"bind": "/data", "mode": "ro"}},
    )

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", "lab_teardown_backup=false"
    )

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert not lab.volume_exists()
    assert not lab.client.containers.list(all=True, filters={"id": helper.id})


def test_volume_in_use_is_kept(lab):
    create_lab_volume(lab)
    user = lab.client.containers.create(
        lab.any_local_image(),
        command=["true"],
        name=f"{lab.name}-student",
        volumes={lab.volume: {"bind": "/data", "mode": "ro"}},
    )

    cleanup_run = lab.run(
        "cleanup.yml", "-e", "lab_teardown_remove_volume=true", "-e", "lab_teardown_backup=false"
    )

    assert cleanup_run.returncode != 0
    output = one_line(cleanup_run.output)
    assert f"was not removed, because these containers use it: {lab.name}-student" in output
    assert "DELETED" not in output
    assert lab.volume_exists()
    assert lab.client.containers.get(user.id).name == f"{lab.name}-student"


def test_app_image_in_use_is_kept(lab):
    assert lab.run("site.yml").returncode == 0
    # A student's container started from the app image to look around.
    student = lab.client.containers.create(
        lab.image, command=["-c", "pass"], name=f"{lab.name}-look"
    )

    cleanup_run = lab.run("cleanup.yml")

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    output = one_line(cleanup_run.output)
    assert (
        f"The app image {lab.image} is kept, because these containers use it: {lab.name}-look"
        in (output)
    )
    assert lab.image_exists()
    assert not lab.network_exists()
    assert lab.client.containers.get(student.id).name == f"{lab.name}-look"


def test_earlier_image_in_use_is_kept(lab, app_copy):
    assert lab.run("site.yml").returncode == 0
    earlier = lab.client.images.get(lab.image)
    student = lab.client.containers.create(lab.image, command=["-c", "pass"])
    # A changed app file makes site.yml build a new image, which leaves the earlier one untagged.
    (app_copy / "read_data.py").write_text((app_copy / "read_data.py").read_text() + "\n# new\n")
    try:
        assert lab.run("site.yml", "-e", f"lab_app_image_source_dir={app_copy}").returncode == 0

        cleanup_run = lab.run("cleanup.yml")
        earlier_kept = earlier.id in {image.id for image in lab.client.images.list(all=True)}
    finally:
        student.remove(force=True)

    assert cleanup_run.returncode == 0, cleanup_run.output[-4000:]
    assert "Earlier app images of the lab were kept" in one_line(cleanup_run.output)
    assert earlier_kept
