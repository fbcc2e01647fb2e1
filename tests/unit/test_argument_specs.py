"""Checks of each role's meta/argument_specs.yml against its defaults/main.yml.

ansible-core validates role inputs against the `main` entry point before the role runs, so a
variable missing from the spec goes unchecked and a spec default that differs from
defaults/main.yml documents a value the role does not use.
"""

from pathlib import Path

import pytest
import yaml

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
ROLE_NAMES = sorted(path.name for path in ROLES_DIR.iterdir() if (path / "tasks").is_dir())


def load_yaml(path):
    """Return the parsed YAML file at path, or an empty dict when the file is missing or empty."""
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def role_defaults(role):
    return load_yaml(ROLES_DIR / role / "defaults" / "main.yml")


def role_entry_points(role):
    return load_yaml(ROLES_DIR / role / "meta" / "argument_specs.yml").get("argument_specs", {})


def main_options(role):
    return role_entry_points(role).get("main", {}).get("options", {})


def role_prefix(role):
    return f"{role}_"


DEFAULT_CASES = [(role, name) for role in ROLE_NAMES for name in role_defaults(role)]

OPTION_CASES = [(role, name) for role in ROLE_NAMES for name in main_options(role)]

PREFIXED_OPTION_CASES = [
    (role, name) for role, name in OPTION_CASES if name.startswith(role_prefix(role))
]

ENTRY_POINT_DEFAULT_CASES = [
    (role, entry_point, name)
    for role in ROLE_NAMES
    for entry_point, spec in role_entry_points(role).items()
    for name, option in (spec.get("options") or {}).items()
    if "default" in option and name in role_defaults(role)
]


def test_roles_found():
    assert ROLE_NAMES, f"no role with a tasks folder under {ROLES_DIR}"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_role_has_main_entry_point(role):
    spec_path = ROLES_DIR / role / "meta" / "argument_specs.yml"

    assert spec_path.is_file(), f"{spec_path} is missing"
    assert "main" in role_entry_points(role), f"{spec_path} has no `main` entry point"


@pytest.mark.parametrize(("role", "name"), DEFAULT_CASES)
def test_default_has_main_spec_entry(role, name):
    options = main_options(role)

    assert name in options, f"{name} is in {role}/defaults/main.yml but not in the `main` spec"
    assert "default" in options[name], f"the `main` spec of {role} gives {name} no default"
    assert options[name]["default"] == role_defaults(role)[name]


@pytest.mark.parametrize(("role", "name"), PREFIXED_OPTION_CASES)
def test_prefixed_option_has_default(role, name):
    assert name in role_defaults(role), (
        f"{name} is in the `main` spec of {role} but not in {role}/defaults/main.yml"
    )


@pytest.mark.parametrize(("role", "name"), OPTION_CASES)
def test_option_has_type_and_description(role, name):
    option = main_options(role)[name]

    assert "type" in option, f"{name} in the `main` spec of {role} has no type"
    assert option.get("description"), f"{name} in the `main` spec of {role} has no description"


@pytest.mark.parametrize(("role", "entry_point", "name"), ENTRY_POINT_DEFAULT_CASES)
def test_entry_point_default_matches_defaults(role, entry_point, name):
    option = role_entry_points(role)[entry_point]["options"][name]

    assert option["default"] == role_defaults(role)[name]
