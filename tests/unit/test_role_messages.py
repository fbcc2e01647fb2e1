"""The writer's and reader's messages, read from their vars files as Ansible reads them."""

import re
from pathlib import Path

import pytest
import yaml

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
MESSAGE_TABLES = [
    ("lab_writer", "__lab_writer_messages"),
    ("lab_reader", "__lab_reader_messages"),
]

# A Jinja expression: line breaks inside one never reach the rendered message.
JINJA_EXPRESSION = re.compile(r"{{.*?}}", re.DOTALL)


def load_messages(role, table):
    with (ROLES_DIR / role / "vars" / "main.yml").open(encoding="utf-8") as vars_file:
        return yaml.safe_load(vars_file)[table]


def flatten(messages, prefix=""):
    """Yield (dotted key, text) for every string in a nested dict of messages."""
    for key, value in messages.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            yield f"{prefix}{key}", value


@pytest.mark.parametrize(("role", "table"), MESSAGE_TABLES)
@pytest.mark.parametrize("language", ["en", "pt_BR"])
def test_messages_have_no_line_breaks(role, table, language):
    # A more-indented line in a folded (>-) scalar keeps the line breaks around it.
    for key, text in flatten(load_messages(role, table)[language]):
        assert "\n" not in JINJA_EXPRESSION.sub("", text), f"{role} {language} {key}: {text!r}"


@pytest.mark.parametrize(("role", "table"), MESSAGE_TABLES)
def test_messages_exist_in_both_languages(role, table):
    messages = load_messages(role, table)

    english_keys = {key for key, _ in flatten(messages["en"])}
    portuguese_keys = {key for key, _ in flatten(messages["pt_BR"])}
    assert english_keys == portuguese_keys
