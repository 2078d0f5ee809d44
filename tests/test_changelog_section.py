"""scripts/changelog_section.py: the release notes of a tag, as the release workflow runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "changelog_section.py"

CHANGELOG = """# Changelog

## [Unreleased]

### Added
- something not released yet

## [0.2.0] - 2026-12-01

### Added
- `validator init`.

### Fixed
- the comment speaks the course's language.

## [0.1.0] - 2026-11-01

- the first release.
"""


def _checkout(tmp_path: Path, version: str, changelog: str = CHANGELOG) -> Path:
    (tmp_path / "validator").mkdir()
    (tmp_path / "validator" / "__init__.py").write_text(f'"""validator."""\n\n__version__ = "{version}"\n')
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    return tmp_path


def _run(root: Path, tag: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), tag, "--root", str(root), "--changelog", str(root / "CHANGELOG.md")],
        capture_output=True,
        text=True,
        check=False,
    )


def test_prints_the_tagged_versions_section_only(tmp_path: Path) -> None:
    done = _run(_checkout(tmp_path, "0.2.0"), "v0.2.0")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "### Added\n- `validator init`.\n\n### Fixed\n- the comment speaks the course's language.\n"
    )


def test_the_last_section_runs_to_the_end(tmp_path: Path) -> None:
    done = _run(_checkout(tmp_path, "0.1.0"), "v0.1.0")
    assert done.stdout == "- the first release.\n"


@pytest.mark.parametrize(
    ("version", "tag", "changelog", "message"),
    [
        ("0.2.0", "v0.3.0", CHANGELOG, "is not the package's version 0.2.0"),
        ("0.3.0", "v0.3.0", CHANGELOG, "has no section `## [0.3.0]`"),
        ("0.3.0", "v0.3.0", "## [0.3.0] - 2026-12-02\n\n## [0.2.0]\n- x\n", "has an empty section"),
    ],
)
def test_refuses_a_release_the_changelog_does_not_describe(
    tmp_path: Path, version: str, tag: str, changelog: str, message: str
) -> None:
    done = _run(_checkout(tmp_path, version, changelog), tag)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_this_projects_changelog_has_an_unreleased_section() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from changelog_section import section

    assert section((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), "Unreleased")
