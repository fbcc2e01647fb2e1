#!/usr/bin/python
"""Ansible module: copy a named volume to a .tar.gz archive, or an archive into a new volume."""

DOCUMENTATION = r"""
module: lab_volume_archive
short_description: Back up a Docker volume to a .tar.gz file, or restore one into an empty volume
description:
  - With O(state=exported), writes every file of the volume, with owners and modes, to a gzip
    compressed tar archive. The archive is written next to O(path) under a temporary name and
    renamed when complete, so an interrupted backup never leaves a partial file at O(path).
    It then makes the checks of M(lab_backup_check) on the new archive and fails when
    restore.yml would reject it, for example for a link that points out of the volume.
  - With O(state=imported), extracts such an archive into a volume that must exist and be empty.
    It first makes the checks of M(lab_backup_check) and fails, before it writes anything, on an
    archive that is not a lab backup. Every restored file, folder and link gets the owner
    O(uid):O(gid). Restored files and folders keep their permission bits without setuid, setgid,
    sticky bit and write permission for group and others, and the owner always gets read and
    write permission (and search permission on folders).
  - Both mount the volume in a container that is created but never started, so no code of the
    image runs. The Docker SDK for Python copies the files through the engine's archive API.
options:
  volume:
    description: Name of the volume.
    type: str
    required: true
  images:
    description: Images for the helper container; the first one present on the engine is used.
    type: list
    elements: str
    required: true
  path:
    description: Archive file on the managed host.
    type: path
    required: true
  state:
    description: V(exported) writes the archive, V(imported) reads it into the volume.
    type: str
    choices: [exported, imported]
    default: exported
  docker_host:
    description: Address of the Docker engine.
    type: str
    default: unix:///var/run/docker.sock
  uid:
    description:
      - User id that owns the restored files with O(state=imported). The lab's writer and reader
        run as user 10001 (app/Dockerfile).
    type: int
    default: 10001
  gid:
    description: Group id that owns the restored files with O(state=imported).
    type: int
    default: 10001
  language:
    description: Language of the failure messages.
    type: str
    choices: [en, pt_BR]
    default: en
attributes:
  check_mode:
    support: full
requirements:
  - docker (Docker SDK for Python) 7.1 or later
"""

RETURN = r"""
volume_was_empty:
  description: The volume held no file before the import began; set with O(state=imported).
  type: bool
  returned: when the import began
path:
  description: The archive file.
  type: str
  returned: always
files:
  description:
    - Number of files, folders and links in the archive, the volume's top folder included.
    - With O(state=imported), the number extracted, which counts the top folder also when the
      archive has no entry for it.
  type: int
  returned: success, outside check mode
problem:
  description:
    - Why M(lab_backup_check) rejects the archive, with O(state=imported); see there for the
      values.
  type: str
  returned: when the archive is not a lab backup
sha256:
  description: SHA-256 of the archive file.
  type: str
  returned: success, outside check mode
"""

import gzip
import hashlib
import os
import tarfile
import tempfile
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lab_backup_archive import (
    ARCHIVE_TOP,
    ArchiveProblem,
    check_backup,
    write_restorable,
)

try:
    import docker
    from docker.errors import DockerException, NotFound
except ImportError:
    docker = None

# Failure messages of this module. The messages about an archive that is not a lab backup are in
# module_utils/lab_backup_archive.py.
MESSAGES = {
    "en": {
        "sdk_missing": "The Docker SDK for Python is missing: pip install 'docker>=7.1.0'.",
        "volume_not_found": "Volume {volume} not found. Create it first, or check its name.",
        "engine_error": "Docker engine error: {error}",
        "no_image": (
            "None of the images {images} is present to mount the volume with. Run site.yml, "
            "which gets a base image, or pull one of them."
        ),
        "folder_not_found": "Folder of {path} not found.",
        "not_empty": (
            "Volume {volume} already contains files, so nothing was restored: a restore fills "
            "only an empty volume, so that no data is overwritten. Restore under another lab name "
            "(-e lab_name=...), or remove the volume first with cleanup.yml "
            "-e lab_teardown_remove_volume=true, which backs it up first. If an interrupted "
            "restore left these files, add -e lab_teardown_backup=false: they are only part of "
            "the backup that you are restoring."
        ),
        "copy_failed": "Could not copy {path}: {error}",
    },
    "pt_BR": {
        "sdk_missing": "Falta o Docker SDK para Python: pip install 'docker>=7.1.0'.",
        "volume_not_found": (
            "Volume {volume} não encontrado. Crie-o antes, ou confira o nome dele."
        ),
        "engine_error": "Erro do Docker engine: {error}",
        "no_image": (
            "Nenhuma das imagens {images} está presente para montar o volume. Execute o site.yml, "
            "que obtém uma imagem base, ou baixe uma delas."
        ),
        "folder_not_found": "Pasta de {path} não encontrada.",
        "not_empty": (
            "O volume {volume} já contém arquivos, então nada foi restaurado: uma restauração só "
            "preenche um volume vazio, para que nenhum dado seja sobrescrito. Restaure com outro "
            "nome de laboratório (-e lab_name=...), ou remova o volume antes com cleanup.yml "
            "-e lab_teardown_remove_volume=true, que antes faz o backup dele. Se uma restauração "
            "interrompida deixou esses arquivos, acrescente -e lab_teardown_backup=false: eles são "
            "só parte do backup que você está restaurando."
        ),
        "copy_failed": "Não foi possível copiar {path}: {error}",
    },
}


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as archive:
        for block in iter(lambda: archive.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pick_image(client, names):
    """Return the first image name of names that is present on the engine, or None."""
    for name in names:
        try:
            client.images.get(name)
            return name
        except NotFound:
            continue
    return None


def create_helper(client, image, volume, read_only):
    """Create, without starting, a container that mounts volume at /data."""
    return client.containers.create(
        image,
        command=["true"],
        name=f"{volume}-archive-{uuid.uuid4().hex[:12]}",
        volumes={volume: {"bind": "/data", "mode": "ro" if read_only else "rw"}},
        network_disabled=True,
        labels={"io.persistence-lab.helper": "archive"},
    )


def export_volume(container, path):
    """Write /data of container to path as .tar.gz and return the number of members."""
    folder = os.path.dirname(path) or "."
    chunks, _ = container.get_archive("/data")
    handle, temporary = tempfile.mkstemp(prefix=".lab-backup-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as packed:
            for chunk in chunks:
                packed.write(chunk)
        os.chmod(temporary, 0o600)
        with tarfile.open(temporary, "r:gz") as archive:
            members = len(archive.getmembers())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return members


def import_archive(container, path, uid, gid):
    """Check the backup at path and extract it into /data of container, owned by uid:gid.

    Raise ArchiveProblem before anything is written when the archive is not a lab backup. Return
    the number of entries extracted.
    """
    # The engine's archive API takes an uncompressed tar, and keeps the owner of each entry.
    with tempfile.TemporaryFile() as restorable:
        entries = write_restorable(path, restorable, uid, gid)
        restorable.seek(0)
        container.put_archive("/", restorable)
    return entries


def volume_is_empty(container):
    chunks, _ = container.get_archive("/data")
    with tempfile.TemporaryFile() as copy:
        for chunk in chunks:
            copy.write(chunk)
        copy.seek(0)
        with tarfile.open(fileobj=copy) as archive:
            return all(member.name == ARCHIVE_TOP for member in archive.getmembers())


def main():
    module = AnsibleModule(
        argument_spec={
            "volume": {"type": "str", "required": True},
            "images": {"type": "list", "elements": "str", "required": True},
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "choices": ["exported", "imported"], "default": "exported"},
            "docker_host": {"type": "str", "default": "unix:///var/run/docker.sock"},
            "uid": {"type": "int", "default": 10001},
            "gid": {"type": "int", "default": 10001},
            "language": {"type": "str", "choices": ["en", "pt_BR"], "default": "en"},
        },
        supports_check_mode=True,
    )
    texts = MESSAGES[module.params["language"]]
    if docker is None:
        module.fail_json(msg=texts["sdk_missing"])

    volume = module.params["volume"]
    path = module.params["path"]
    result = {"changed": False, "path": path}

    try:
        client = docker.DockerClient(base_url=module.params["docker_host"])
        client.volumes.get(volume)
    except NotFound:
        module.fail_json(msg=texts["volume_not_found"].format(volume=volume), **result)
    except DockerException as error:
        module.fail_json(msg=texts["engine_error"].format(error=error), **result)

    image = pick_image(client, module.params["images"])
    if image is None:
        names = ", ".join(module.params["images"])
        module.fail_json(msg=texts["no_image"].format(images=names), **result)

    exporting = module.params["state"] == "exported"
    # In check mode the role has not created the backup folder, so it may be missing.
    if exporting and not module.check_mode and not os.path.isdir(os.path.dirname(path) or "."):
        module.fail_json(msg=texts["folder_not_found"].format(path=path), **result)

    container = create_helper(client, image, volume, read_only=exporting)
    try:
        if exporting:
            result["changed"] = True
            if not module.check_mode:
                result["files"] = export_volume(container, path)
                result["sha256"] = sha256_of(path)
                # The caller removes the volume after this backup, so it must be one that
                # restore.yml accepts: no links out of data/, no device files, a demo.db.
                try:
                    check_backup(path)
                except ArchiveProblem as problem:
                    message = problem.message(path, module.params["language"], "fix_backup")
                    module.fail_json(msg=message, problem=problem.key, **result)
        else:
            if not volume_is_empty(container):
                module.fail_json(msg=texts["not_empty"].format(volume=volume), **result)
            # Callers may remove the volume after a failure from here on, because it held nothing.
            result["volume_was_empty"] = True
            if module.check_mode:
                check_backup(path)
            else:
                uid, gid = module.params["uid"], module.params["gid"]
                result["files"] = import_archive(container, path, uid, gid)
                result["sha256"] = sha256_of(path)
            result["changed"] = True
    except ArchiveProblem as problem:
        message = problem.message(path, module.params["language"])
        module.fail_json(msg=message, problem=problem.key, **result)
    except DockerException as error:
        module.fail_json(msg=texts["engine_error"].format(error=error), **result)
    except (OSError, EOFError, tarfile.TarError) as error:
        module.fail_json(msg=texts["copy_failed"].format(path=path, error=error), **result)
    finally:
        container.remove(force=True)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
