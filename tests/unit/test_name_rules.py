"""The playbook's name check (a role test plugin) against the writer's character rules."""

import importlib.util
from pathlib import Path

import pytest
import write_data

PLUGIN = Path(__file__).resolve().parents[2] / "roles/lab_writer/test_plugins/lab_names.py"
spec = importlib.util.spec_from_file_location("lab_names", PLUGIN)
plugin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plugin)


def test_plugin_rejects_writer_categories():
    assert set(write_data.REJECTED_CATEGORIES) == plugin.REJECTED_CATEGORIES


@pytest.mark.parametrize(
    "character",
    [
        "\t",
        "\x7f",
        "\x85",
        "\u00ad",  # soft hyphen
        "\u200b",
        "\u200d",
        "\u2028",
        "\u2029",
        "\u2066",
        "\ufeff",
        "\U000e0001",  # language tag
        "a",
        "é",
        " ",
        "\u00a0",
        "\U0001f600",
    ],
)
def test_plugin_agrees_with_writer(character):
    name = f"Ana{character}Lima"
    writer_problem = write_data.find_name_problem(name)

    assert plugin.has_rejected_character(name) == (writer_problem is not None)


def test_plugin_registers_its_test():
    tests = plugin.TestModule().tests()

    assert tests["lab_with_rejected_character"] is plugin.has_rejected_character
