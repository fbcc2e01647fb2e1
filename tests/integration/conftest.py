"""Fixtures that run the project's playbooks against the real Docker engine.

Every lab gets a unique name (itest-<random>), so tests never touch a user's lab, and every
resource a test creates is removed afterwards, also when the test fails.
"""

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
LABEL = "io.persistence-lab.name"


@dataclass
class PlaybookRun:
    """Exit code, output and recap counters of one ansible-playbook run."""

    returncode: int
    output: str

    def count(self, counter):
        """Return the recap counter ("changed", "failed", ...) of localhost."""
        match = re.search(rf"localhost\s*:.*?\b{counter}=(\d+)", self.output)
        assert match, f"no PLAY RECAP in the output:\n{self.output[-3000:]}"
        return int(match.group(1))


def run_playbook(playbook, *arguments, environment=None, command_prefix=()):
    """Run one of the entry playbooks from the project folder and return its PlaybookRun.

    The run gets the C.UTF-8 locale with English messages, unless environment overrides them.
    command_prefix wraps ansible-playbook in another command, such as setpriv.
    """
    ansible_playbook = Path(sys.executable).with_name("ansible-playbook")
    base = {key: value for key, value in os.environ.items() if not key.startswith(("LC_", "LANG"))}
    environment = dict(base, ANSIBLE_NOCOLOR="1", LANG="C.UTF-8", **(environment or {}))
    completed = subprocess.run(
        [*command_prefix, str(ansible_playbook), playbook, *arguments],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return PlaybookRun(completed.returncode, completed.stdout + completed.stderr)


class Lab:
    """A lab with a unique name, and the Docker objects that its playbooks create."""

    def __init__(self, client):
        self.client = client
        self.name = f"itest-{uuid.uuid4().hex[:10]}"
        self.volume = f"{self.name}-data"
        self.network = f"{self.name}-net"
        self.image = f"{self.name}-app:latest"

    def run(self, playbook, *arguments, **options):
        return run_playbook(playbook, "-e", f"lab_name={self.name}", *arguments, **options)

    def volume_exists(self):
        volumes = self.client.volumes.list(filters={"name": self.volume})
        return any(volume.name == self.volume for volume in volumes)

    def network_exists(self):
        return bool(self.client.networks.list(names=[self.network]))

    def image_exists(self):
        return bool(self.client.images.list(name=self.image))

    def any_local_image(self):
        """Return an image that can hold a volume mount: the app image, else a base image."""
        for name in (self.image, "python:3.12-alpine", "persistence-lab-python:3.11-bookworm"):
            if self.client.images.list(name=name):
                return name
        raise AssertionError("no image to read the volume with")

    def read_database(self):
        """Return the bytes of demo.db from the volume, copied out by a stopped container."""
        container = self.client.containers.create(
            self.any_local_image(),
            command=["-c", "pass"],
            volumes={self.volume: {"bind": "/data", "mode": "ro"}},
            network_mode="none",
        )
        try:
            chunks, _ = container.get_archive("/data/demo.db")
            with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as archive:
                return archive.extractfile("demo.db").read()
        finally:
            container.remove(force=True)

    def put_files(self, files):
        """Write files (name -> bytes) into the volume's top folder, owned by the app's user."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, content in files.items():
                entry = tarfile.TarInfo(f"data/{name}")
                entry.size, entry.uid, entry.gid, entry.mode = len(content), 10001, 10001, 0o644
                archive.addfile(entry, io.BytesIO(content))
        container = self.client.containers.create(
            self.any_local_image(),
            command=["true"],
            volumes={self.volume: {"bind": "/data", "mode": "rw"}},
            network_mode="none",
        )
        try:
            container.put_archive("/", buffer.getvalue())
        finally:
            container.remove(force=True)

    def remove_everything(self):
        """Remove every Docker object of this lab, whatever state a test left it in."""
        for container in self.client.containers.list(all=True, filters={"name": self.name}):
            container.remove(force=True)
        for network in self.client.networks.list(names=[self.network]):
            network.remove()
        images = self.client.images.list(filters={"label": f"{LABEL}={self.name}"})
        images += self.client.images.list(name=f"{self.name}-app")
        for image_id in {image.id for image in images}:
            self.client.images.remove(image_id, force=True)
        for volume in self.client.volumes.list(filters={"name": self.name}):
            volume.remove(force=True)


@pytest.fixture(scope="session")
def docker_client():
    client = docker.from_env()
    client.ping()
    yield client
    client.close()


@pytest.fixture
def lab(docker_client):
    """A fresh lab, removed after the test."""
    new_lab = Lab(docker_client)
    yield new_lab
    new_lab.remove_everything()


@pytest.fixture(scope="module")
def provisioned_lab(docker_client):
    """A lab that site.yml provisioned once, shared by the tests of one module."""
    shared_lab = Lab(docker_client)
    try:
        first_run = shared_lab.run("site.yml")
        assert first_run.returncode == 0, first_run.output[-4000:]
        yield shared_lab, first_run
    finally:
        shared_lab.remove_everything()


@pytest.fixture
def app_copy(tmp_path):
    """A copy of the app folder that a test may change."""
    copy = tmp_path / "app"
    shutil.copytree(PROJECT_DIR / "app", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy
