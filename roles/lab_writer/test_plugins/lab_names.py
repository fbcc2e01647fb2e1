"""Jinja tests for customer names that apply the writer container's character rules."""

import unicodedata

# The Unicode categories that app/write_data.py rejects (REJECTED_CATEGORIES there): control,
# format, surrogate, and line and paragraph separator. The app runs in the container and this
# plugin on the controller, so they share no module; a unit test keeps the two sets equal.
REJECTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def has_rejected_character(name):
    """Return True when a name contains a character of a category that the writer rejects."""
    return any(unicodedata.category(character) in REJECTED_CATEGORIES for character in name)


class TestModule:
    """Register the tests with Ansible."""

    def tests(self):
        return {"lab_with_rejected_character": has_rejected_character}
