"""The table of every check in docs/quality-checks.md: each input check (each kind of
``InputError``, registered in ``newsprov.core.errors.INPUT_CHECKS``) and each Great
Expectations expectation, with the test that shows it firing.

A test shows an input check firing when it names the check's id and compares an error's
``check`` attribute (``assert caught.value.check == "invalid-json"``, or with the id passed
by ``pytest.mark.parametrize``): such a test fails unless that check refused the input.
Every expectation is made to fail, alone, by ``test_each_expectation_bites``.

    python scripts/checks_table.py             # print the table
    python scripts/checks_table.py --write     # write it into docs/quality-checks.md
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

from newsprov.build.expectations import suites
from newsprov.core.errors import INPUT_CHECKS
from newsprov.core.files import markdown_table, replace_section, write_atomic
from newsprov.core.layout import QUALITY_CHECKS, REPO

SECTION = "checks"
SOURCE = REPO / "src"
TESTS = REPO / "tests"
EXPECTATION_TEST = "tests/build/test_expectations.py::test_each_expectation_bites"


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def _compares_check(function: ast.AST) -> bool:
    return any(isinstance(n, ast.Compare) and any(
        isinstance(side, ast.Attribute) and side.attr == "check"
        for side in (n.left, *n.comparators)) for n in ast.walk(function))


def raised_checks() -> dict[str, list[str]]:
    """Check id -> the modules that raise it (``check="..."`` of an ``InputError``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        module = ".".join(path.relative_to(SOURCE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "InputError":
                for keyword in node.keywords:
                    if keyword.arg == "check" and isinstance(keyword.value, ast.Constant):
                        modules = found.setdefault(keyword.value.value, [])
                        if module not in modules:
                            modules.append(module)
    return found


def _case_strings(value: ast.expr) -> dict[str, set[str]]:
    """The strings of each case of a module-level dict of cases (case name -> its strings)."""
    if not isinstance(value, ast.Dict):
        return {}
    return {key.value: {key.value, *_strings(item)}
            for key, item in zip(value.keys, value.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)}


def _tests(path: Path) -> Iterator[tuple[str, dict[str, set[str]]]]:
    """Each test function of a file that compares an error's check, with the strings it
    names: its own (key "") and, for a module-level dict of cases it uses, each case's."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assignments = [(target.id, node.value) for node in tree.body
                   if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
                   for target in getattr(node, "targets", [getattr(node, "target", None)])
                   if isinstance(target, ast.Name)]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") \
                and _compares_check(node):
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            strings = {"": _strings(node)}
            for name, value in assignments:
                if name in used:
                    cases = _case_strings(value)
                    strings.update(cases)
                    strings[""] |= set() if cases else _strings(value)
            yield f"{path.relative_to(REPO).as_posix()}::{node.name}", strings


def firing_tests() -> dict[str, list[tuple[str, str]]]:
    """Check id -> the tests that show it firing, each with its case ("" for none)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        for test, strings in _tests(path):
            for case, names in strings.items():
                for check in names & INPUT_CHECKS.keys():
                    found.setdefault(check, []).append((test, case))
    return found


def table() -> str:
    raised, firing = raised_checks(), firing_tests()
    inputs = [[f"`{check}`", what, ", ".join(f"`{m}`" for m in raised.get(check, [])),
               "<br>".join(f"`{test}`" + (f" (case `{case}`)" if case else "")
                          for test, case in firing.get(check, [])) or "**none**"]
              for check, what in INPUT_CHECKS.items()]
    expectations = [[f"`{frame}`", expectation.meta["check"],
                     f"`{type(expectation).__name__}`", f"`{EXPECTATION_TEST}`"]
                    for frame, (_, rules) in suites().items() for expectation in rules]
    return (f"\nGenerated by `python scripts/checks_table.py --write` from the code; "
            f"`tests/core/test_checks_table.py` fails when a check has no row or no firing "
            f"test.\n\n### Input checks ({len(inputs)})\n\nEach stops its command with one "
            "line naming the file, the record and the problem (exit status 2).\n\n"
            + markdown_table(["id", "what it requires", "raised in", "test that fires it"],
                             inputs, 4)
            + f"\n### Expectations ({len(expectations)})\n\nEach fails the export "
            "(`newsprov build` publishes nothing; `newsprov validate` exits 1); the test "
            "is parametrised by the expectation's check.\n\n"
            + markdown_table(["suite", "check", "GX expectation", "test that fires it"],
                             expectations, 4) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help=f"write the table into {QUALITY_CHECKS}")
    path = REPO / QUALITY_CHECKS
    if parser.parse_args().write:
        write_atomic(path, replace_section(path.read_text(encoding="utf-8"), SECTION,
                                           table()))
    else:
        print(table())


if __name__ == "__main__":
    main()
