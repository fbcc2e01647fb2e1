"""Lab containers run locked down, and version checks refuse broken combinations."""

import json
import subprocess
import sys


def test_lab_container_is_locked_down(provisioned_lab, tmp_path):
    lab, _ = provisioned_lab
    output = tmp_path / "probe.json"

    run = lab.run(
        "tests/integration/playbooks/hardening_probe.yml",
        "-e", f"probe_name={lab.name}-probe",
        "-e", f"probe_image={lab.image}",
        "-e", f"probe_volume={lab.volume}",
        "-e", f"probe_output={output}",
    )  # fmt: skip

    assert run.returncode == 0, run.output[-4000:]
    found = json.loads(output.read_text())
    assert found["uid"] == 10001
    assert found["gid"] == 10001
    assert int(found["capabilities"], 16) == 0
    assert found["no_new_privileges"] == "1"
    assert found["root_filesystem"] == "EROFS"
    assert found["volume"] == "EROFS"
    assert found["tmp"] == "written"
    assert int(found["memory_limit"]) == 256 * 1024 * 1024
    assert int(found["pids_limit"]) == 64
    assert found["network_interfaces"] == ["lo"]


def test_volume_drift_reported_not_recreated(provisioned_lab):
    lab, _ = provisioned_lab
    labels = json.dumps({"lab_volume_extra_labels": {"course": "x"}})
    created = lab.client.volumes.get(lab.volume).attrs["CreatedAt"]

    run = lab.run("site.yml", "-e", labels)
    diff_run = lab.run("site.yml", "--diff", "-e", labels)

    assert run.returncode == 0, run.output[-4000:]
    assert run.count("changed") == 0
    assert "label course: (none) -> x" in " ".join(run.output.split())
    assert "+label course: x" not in run.output
    assert diff_run.returncode == 0, diff_run.output[-4000:]
    assert diff_run.count("changed") == 0
    assert f"--- volume {lab.volume} on the engine" in diff_run.output
    assert f"+++ volume {lab.volume} as configured" in diff_run.output
    assert "-label course: (none)" in diff_run.output
    assert "+label course: x" in diff_run.output
    volume = lab.client.volumes.get(lab.volume).attrs
    assert volume["CreatedAt"] == created
    assert "course" not in volume["Labels"]


def test_old_docker_sdk_refused(lab, tmp_path):
    old_packages = tmp_path / "old"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(old_packages), "docker==7.0.0"],
        check=True,
    )  # fmt: skip

    run = lab.run("verify.yml", environment={"PYTHONPATH": str(old_packages)})

    assert run.returncode != 0
    assert "docker 7.0.0 is older than 7.1.0" in run.output
    assert "Not supported URL scheme http+docker" in run.output
    assert "pip install 'docker>=7.1.0'" in run.output


def test_lost_container_output_reported(provisioned_lab):
    lab, _ = provisioned_lab

    run = lab.run(
        "tests/integration/playbooks/output_check.yml",
        "-e", f"probe_name={lab.name}-probe",
        "-e", f"probe_image={lab.image}",
        "-e", f"probe_volume={lab.volume}",
    )  # fmt: skip

    assert run.returncode != 0
    output = " ".join(run.output.split())
    assert "exited with code 0, but its output is missing or not JSON" in output
    assert '("partial")' in output
