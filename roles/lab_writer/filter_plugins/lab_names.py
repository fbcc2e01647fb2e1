"""Jinja filters that apply the writer container's character rules to customer names."""

import json
import unicodedata

# The Unicode categories that app/write_data.py rejects (REJECTED_CATEGORIES there): control,
# format, surrogate, and line and paragraph separator. The app runs in the container and this
# plugin on the controller, so they share no module; a unit test keeps the two sets equal.
REJECTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_rejected(character):
    return unicodedata.category(character) in REJECTED_CATEGORIES


def describe_codepoint(character):
    """Return "U+00AD SOFT HYPHEN" for a character, or only "U+0009" when it has no name.

    The same form as the writer's messages. Control characters and surrogates have no name in
    the Unicode Character Database.
    """
    codepoint = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "")
    return f"{codepoint} {name}" if name else codepoint


def rejected_character(name):
    """Return the first character of name that the writer rejects, described, or ""."""
    for character in name:
        if is_rejected(character):
            return describe_codepoint(character)
    return ""


def escape_character(character):
    """Return a rejected character as a Python-style escape: \\u00ad, or \\U000e0001."""
    codepoint = ord(character)
    return f"\\u{codepoint:04x}" if codepoint <= 0xFFFF else f"\\U{codepoint:08x}"


def quote_name(value):
    """Return a name in double quotes for a message, readable as typed.

    Only the rejected characters, which are invisible or break lines, are escaped, together with
    backslashes and double quotes. Accents, emoji and other scripts stay as they are. A value
    that is not text is shown as JSON.
    """
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    parts = []
    for character in value:
        if character in ('"', "\\"):
            parts.append("\\" + character)
        elif is_rejected(character):
            parts.append(escape_character(character))
        else:
            parts.append(character)
    return '"' + "".join(parts) + '"'


class FilterModule:
    """Register the filters with Ansible."""

    def filters(self):
        return {
            "lab_rejected_character": rejected_character,
            "lab_quote_name": quote_name,
        }
