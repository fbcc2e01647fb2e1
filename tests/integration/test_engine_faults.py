"""Engine faults, played through a relay socket so that the real engine and its socket stay up."""

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from engine_relay import EngineRelay

# uid that owns the relay's socket in the permission test: the nobody user of Debian and Alpine.
OTHER_UID = 65534


@pytest.fixture
def relay_folder():
    # A short path, because a Unix socket's path must fit in 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="lab-relay-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def customers_on_volume(lab, tmp_path):
    database = tmp_path / "copy.db"
    database.write_bytes(lab.read_database())
    with sqlite3.connect(database) as connection:
        return sorted(row[0] for row in connection.execute("SELECT name FROM customers"))


def test_engine_stopped_mid_run_then_rerun(lab, relay_folder, tmp_path):
    # The relay goes down when the reader container is about to be created, after the writer
    # committed: the engine "stops" in the middle of site.yml.
    reader_create = rf"POST /v[0-9.]+/containers/create\?name={lab.name}-reader\b".encode()
    relay = EngineRelay(relay_folder / "docker.sock", stop_on=reader_create)
    relay.start()
    environment = {"DOCKER_HOST": relay.docker_host}
    try:
        stopped = lab.run("site.yml", environment=environment)

        assert relay.stopped_by_request.is_set(), stopped.output[-3000:]
        assert stopped.returncode != 0
        assert f"The Docker engine at {relay.docker_host} stopped answering" in stopped.output
        assert "sudo systemctl start docker" in stopped.output
        assert "run the same playbook again" in stopped.output
        assert customers_on_volume(lab, tmp_path) == ["Alice", "Bruno", "Carla"]

        relay.start()
        rerun = lab.run("site.yml", environment=environment)
        verify = lab.run("verify.yml", environment=environment)
    finally:
        relay.stop()

    assert rerun.returncode == 0, rerun.output[-3000:]
    assert "All 3 seeded customers are in the database" in rerun.output
    assert verify.returncode == 0, verify.output[-3000:]


def test_engine_stopped_mid_run_portuguese(lab, relay_folder):
    writer_create = rf"POST /v[0-9.]+/containers/create\?name={lab.name}-writer\b".encode()
    relay = EngineRelay(relay_folder / "docker.sock", stop_on=writer_create)
    relay.start()
    try:
        run = lab.run(
            "site.yml", environment={"DOCKER_HOST": relay.docker_host, "LANGUAGE": "pt_BR:pt"}
        )
    finally:
        relay.stop()

    assert run.returncode != 0
    assert f"O Docker engine em {relay.docker_host} parou de responder" in run.output


def test_socket_permission_denied_then_fixed(lab, relay_folder):
    relay = EngineRelay(relay_folder / "docker.sock")
    relay.start()
    socket_path = str(relay.path)
    environment = {"DOCKER_HOST": relay.docker_host}
    if os.geteuid() == 0:
        # root opens any socket through CAP_DAC_OVERRIDE, so the playbook runs without it and
        # the socket belongs to another user, as the engine's socket does for a user outside
        # the docker group.
        os.chown(socket_path, OTHER_UID, OTHER_UID)
        os.chmod(socket_path, 0o600)
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    else:
        os.chmod(socket_path, 0o000)
        prefix = []
    try:
        denied = lab.run("site.yml", environment=environment, command_prefix=prefix)
        denied_has_volume = lab.volume_exists()

        os.chmod(socket_path, 0o666)
        fixed = lab.run("site.yml", environment=environment, command_prefix=prefix)
    finally:
        relay.stop()

    assert denied.returncode != 0
    assert "This user may not open the engine's socket" in denied.output
    assert "sudo usermod -aG docker $USER" in denied.output
    assert f"No Docker engine answers at {relay.docker_host}" in denied.output
    assert not denied_has_volume
    assert fixed.returncode == 0, fixed.output[-3000:]
    assert "All 3 seeded customers are in the database" in fixed.output
