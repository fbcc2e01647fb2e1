#!/usr/bin/env python3
"""Install the collections of requirements.yml into the project's collections folder.

Ansible Galaxy is tried first. When it cannot be reached, community.docker is taken from the
`ansible` package on PyPI, which carries a copy of it: ansible ANSIBLE_PACKAGE_VERSION below
carries community.docker 4.8.5. On an air-gapped machine, pass --ansible-wheel with a wheel of
that package copied from a connected machine (`pip download --no-deps ansible==12.3.0`).

Exit codes: 0 installed or already present, 1 installation failed, 2 invalid arguments.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

ANSIBLE_PACKAGE_VERSION = "12.3.0"
COLLECTION = "community.docker"


def parse_version(text):
    """Turn "4.8.5" into (4, 8, 5) so versions compare as numbers."""
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def version_matches(version, requirement):
    """Check a version against a requirement such as ">=4.8.0,<5.0.0" (only >=, >, <=, <, ==)."""
    operators = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        "==": lambda a, b: a == b,
    }
    for clause in requirement.replace(" ", "").split(","):
        if clause in ("", "*"):
            continue
        match = re.fullmatch(r"(>=|<=|==|>|<)?([\d.]+)", clause)
        if not match:
            raise ValueError(f"unsupported version requirement {requirement!r}")
        operator = match.group(1) or "=="
        if not operators[operator](parse_version(version), parse_version(match.group(2))):
            return False
    return True


def read_requirement(requirements_file):
    """Return the version requirement of community.docker in requirements.yml."""
    data = yaml.safe_load(requirements_file.read_text(encoding="utf-8")) or {}
    for entry in data.get("collections", []):
        if isinstance(entry, dict) and entry.get("name") == COLLECTION:
            return str(entry.get("version", "*"))
    raise ValueError(f"{requirements_file} does not list {COLLECTION}")


def installed_version(collections_dir):
    """Return the version of community.docker in collections_dir, or None when absent."""
    manifest = collections_dir / "ansible_collections/community/docker/MANIFEST.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"]


def install_from_galaxy(requirements_file, collections_dir):
    """Run ansible-galaxy; return True when it installed the collections."""
    galaxy = shutil.which("ansible-galaxy") or str(Path(sys.executable).with_name("ansible-galaxy"))
    command = [galaxy, "collection", "install", "-r", str(requirements_file)]
    command += ["-p", str(collections_dir), "--timeout", "20"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"Ansible Galaxy failed ({last_line}); trying the ansible package on PyPI.")
        return False
    return True


def download_ansible_wheel(folder):
    """Download the pinned ansible wheel from PyPI into folder and return its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    command += ["--dest", str(folder), f"ansible=={ANSIBLE_PACKAGE_VERSION}"]
    subprocess.run(command, check=True)
    return next(Path(folder).glob("ansible-*.whl"))


def extract_collection(wheel, collections_dir):
    """Copy community/docker out of an ansible wheel into collections_dir."""
    prefix = "ansible_collections/community/docker/"
    target = collections_dir / prefix
    if target.exists():
        shutil.rmtree(target)
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith(prefix)]
        if not members:
            raise ValueError(f"{wheel} contains no {COLLECTION} collection")
        archive.extractall(collections_dir, members)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, default=Path("requirements.yml"))
    parser.add_argument("--collections-dir", type=Path, default=Path("collections"))
    parser.add_argument(
        "--ansible-wheel",
        type=Path,
        help="a local wheel of the ansible package to take the collection from (air-gapped use)",
    )
    args = parser.parse_args(argv)

    requirement = read_requirement(args.requirements)
    present = installed_version(args.collections_dir)
    if present and version_matches(present, requirement):
        print(f"{COLLECTION} {present} is already installed in {args.collections_dir}.")
        return 0

    if args.ansible_wheel is None and install_from_galaxy(args.requirements, args.collections_dir):
        return 0

    try:
        if args.ansible_wheel is not None:
            extract_collection(args.ansible_wheel, args.collections_dir)
        else:
            with tempfile.TemporaryDirectory() as folder:
                extract_collection(download_ansible_wheel(folder), args.collections_dir)
    except (OSError, ValueError, StopIteration, subprocess.CalledProcessError) as error:
        print(f"Could not install {COLLECTION}: {error}.", file=sys.stderr)
        print(
            "Check the network, or copy an ansible wheel here and pass --ansible-wheel.",
            file=sys.stderr,
        )
        return 1

    installed = installed_version(args.collections_dir)
    if installed is None or not version_matches(installed, requirement):
        print(
            f"{COLLECTION} {installed} does not satisfy {requirement!r} from {args.requirements}; "
            f"update ANSIBLE_PACKAGE_VERSION in {Path(__file__).name}.",
            file=sys.stderr,
        )
        return 1
    print(f"Installed {COLLECTION} {installed} from the ansible {ANSIBLE_PACKAGE_VERSION} package.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
