"""The package's architecture: layers as folders, each importing only the layers below it.

The imports of every module of ``src/newsprov`` are read with ``ast`` (nothing is run), so
the test sees deferred imports inside functions too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsprov.core.layout import REPO

PACKAGE = REPO / "src" / "newsprov"
# Bottom to top. Folders on one floor must not import each other.
LAYERS: list[tuple[str, ...]] = [("core",), ("store",), ("build", "annotate"),
                                 ("bench", "collect"), ("publish", "view"), ("cli",)]
FLOOR = {folder: floor for floor, folders in enumerate(LAYERS) for folder in folders}
# Package imports made inside a function, each for start-up time (never to dodge a cycle).
DEFERRED = {("newsprov.build.export", "newsprov.build.validation"):
            "Great Expectations takes seconds to import; --no-validate does without it"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(module: str) -> Iterator[tuple[str, bool]]:
    """The package modules ``module`` imports, and whether each import is at module level."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target, id(node) in top_level


def folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_is_in_a_layer() -> None:
    assert {folder(m) for m in MODULES} - {None} == set(FLOOR)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_go_down(module: str) -> None:
    own = folder(module)
    for target, _ in imports(module):
        other = folder(target)
        assert other is not None, f"{module} imports the package root"
        if own == other:
            continue
        assert own is not None and FLOOR[other] < FLOOR[own], \
            f"{module} ({own}) imports {target} ({other}), which is not on a floor below"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_package_import_inside_a_function(module: str) -> None:
    for target, at_top in imports(module):
        assert at_top or (module, target) in DEFERRED, \
            f"{module} imports {target} inside a function"


def test_import_graph_has_no_cycle() -> None:
    graph = {module: {target for target, _ in imports(module)} for module in MODULES}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            assert state.get(target) != "open", "import cycle: " + " -> ".join(
                [*path[path.index(target):], target] if target in path else [*path, target])
            if target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The walk above sees a function-level import from a higher layer: it cannot pass
    vacuously."""
    source = "def f():\n    from newsprov.cli import main\n    return main\n"
    module = "newsprov.core.schema"
    original = MODULES[module]
    fake = tmp_path / "schema.py"
    fake.write_text(source)
    MODULES[module] = fake
    try:
        assert ("newsprov.cli", False) in set(imports(module))
    finally:
        MODULES[module] = original


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_cli_imports_click(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names = {alias.name.split(".")[0] for node in ast.walk(tree)
             if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    assert "click" not in names or folder(module) == "cli", f"{module} imports click"
