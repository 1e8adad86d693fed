"""docs/quality-checks.md lists every check with a test that fires it, and is current."""

from __future__ import annotations

import sys

from newsprov.core.errors import INPUT_CHECKS, InputError
from newsprov.core.files import section_body
from newsprov.core.layout import QUALITY_CHECKS, REPO

sys.path.insert(0, str(REPO / "scripts"))
from checks_table import SECTION, firing_tests, raised_checks, table  # a script


def test_every_registered_check_is_raised_and_every_raised_check_registered() -> None:
    assert set(raised_checks()) == set(INPUT_CHECKS)


def test_every_input_check_has_a_firing_test() -> None:
    firing = firing_tests()
    assert [check for check in INPUT_CHECKS if check not in firing] == []


def test_an_unregistered_check_cannot_be_raised() -> None:
    try:
        InputError("file", None, "problem", check="no-such-check")
    except ValueError as error:
        assert "no-such-check" in str(error)
    else:
        raise AssertionError("an unregistered check id was accepted")


def test_the_docs_table_is_current() -> None:
    text = (REPO / QUALITY_CHECKS).read_text(encoding="utf-8")
    assert section_body(text, SECTION) == table(), \
        "docs/quality-checks.md is stale: run python scripts/checks_table.py --write"
