"""The README's generated sections stay in sync with the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import ROOT


def _script(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_lists_every_problem_code() -> None:
    codes = _script("problem_codes")
    codes.load_all()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert codes.readme_with_table(readme, codes.table()) == readme, (
        "README.md's problem codes are stale: run `python scripts/problem_codes.py --write`"
    )


def test_quick_start_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("examples/demo.py") and commands[1].endswith("-m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "torch==2.13.0" in ci and "-m pytest" in ci


def test_changelog_follows_keep_a_changelog() -> None:
    text = (Path(ROOT) / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text and "### Added" in text


def test_readme_configuration_example_is_valid() -> None:
    """Every key the README documents exists, with a value of the right type."""
    import tomllib

    from validator.config import parse_config

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(tomllib.loads(block), ROOT / "README.md", block)
    assert config.language == "ru"
    assert config.rules.severity == {"vram-below-weights": "error"}
    assert config.compare.tolerances["weights_size"].relative == 0.05
    assert config.compare.confirm_runs == 2
