"""The playbook's name checks (role filter plugins) against the writer's character rules."""

import importlib.util
from pathlib import Path

import pytest
import write_data

PLUGIN = Path(__file__).resolve().parents[2] / "roles/lab_writer/filter_plugins/lab_names.py"
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

    assert bool(plugin.rejected_character(name)) == (writer_problem is not None)


@pytest.mark.parametrize(
    ("name", "described"),
    [
        ("Jo\u00adana", "U+00AD SOFT HYPHEN"),
        ("\U0001f469\u200d\U0001f4bb", "U+200D ZERO WIDTH JOINER"),
        ("Ali\tce", "U+0009"),
        ("A\u200bB\u00adC", "U+200B ZERO WIDTH SPACE"),
        ("José", ""),
    ],
)
def test_rejected_character_named_like_writer(name, described):
    assert plugin.rejected_character(name) == described


def test_rejected_character_matches_writer_message():
    _, values = write_data.find_name_problem("Jo\u00adana")

    assert plugin.rejected_character("Jo\u00adana") == values["codepoint"]


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("Jo\u00adana", '"Jo\\u00adana"'),
        ("\U0001f469\u200d\U0001f4bb", '"\U0001f469\\u200d\U0001f4bb"'),
        ("Émile Ñandú 山田", '"Émile Ñandú 山田"'),
        ('Say "hi" \\o/', '"Say \\"hi\\" \\\\o/"'),
        ("tag\U000e0001", '"tag\\U000e0001"'),
        ("  ", '"  "'),
        (42, "42"),
        (None, "null"),
    ],
)
def test_quote_name_escapes_only_rejected(value, quoted):
    assert plugin.quote_name(value) == quoted


def test_plugin_registers_its_filters():
    filters = plugin.FilterModule().filters()

    assert filters["lab_rejected_character"] is plugin.rejected_character
    assert filters["lab_quote_name"] is plugin.quote_name
