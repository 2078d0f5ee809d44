"""`validator init`: a course repository's workflows, settings and team file, pinned to one commit."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from validator.app.init import WORKFLOWS, template
from validator.cli import main
from validator.config import load_config

ROOT = Path(__file__).resolve().parents[2]
SHA = "3f2a9c0d1e4b5a6978877665544332211aabbccd"


def _init(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["init", *args, str(root)])
    return result.exit_code, result.output


def test_writes_pinned_workflows_settings_and_teams(tmp_path: Path) -> None:
    (tmp_path / "submissions" / "gpt_squad").mkdir(parents=True)
    (tmp_path / "submissions" / "whisper_crew").mkdir()
    code, output = _init(
        tmp_path, "--action", f"mlcourse/validator@{SHA}", "--tag", "v0.2.0", "--language", "ru",
        "--member", "gpt_squad=anna", "--member", "gpt_squad=boris",
    )  # fmt: skip
    assert code == 0, output
    for name in WORKFLOWS:
        text = (tmp_path / ".github" / "workflows" / name).read_text()
        assert "OWNER/" not in text and "0000000000" not in text
        assert f"uses: mlcourse/validator@{SHA} # v0.2.0" in text
    assert load_config(tmp_path).language == "ru"
    teams = tomllib.loads((tmp_path / "teams.toml").read_text())["teams"]
    assert teams == {
        "gpt_squad": {"folder": "submissions/gpt_squad", "members": ["anna", "boris"]},
        "whisper_crew": {"folder": "submissions/whisper_crew", "members": []},
    }


@pytest.mark.parametrize(
    "action",
    [
        "mlcourse/validator@v0.1.0",
        "mlcourse/validator@main",
        f"mlcourse/validator@{SHA[:12]}",
        f"mlcourse@{SHA}",
        f"mlcourse/validator@{SHA.upper()}",
        f"mlcourse/validator@{SHA} ; rm -rf /",
    ],
)
def test_refuses_anything_but_a_full_commit_sha(tmp_path: Path, action: str) -> None:
    code, output = _init(tmp_path, "--action", action)
    assert code == 2
    assert "40-character commit SHA" in output
    assert not (tmp_path / ".github").exists()


def test_keeps_the_maintainers_files_and_refuses_to_clobber_workflows(tmp_path: Path) -> None:
    (tmp_path / "validator.toml").write_text('language = "en"\n')
    assert _init(tmp_path, "--action", f"a/b@{SHA}")[0] == 0
    assert (tmp_path / "validator.toml").read_text() == 'language = "en"\n'
    again = _init(tmp_path, "--action", f"a/b@{SHA}")
    assert again[0] == 0 and "unchanged" in again[1]
    moved = _init(tmp_path, "--action", f"a/b@{'e' * 40}")
    assert moved[0] == 2 and "--force" in moved[1]
    assert _init(tmp_path, "--action", f"a/b@{'e' * 40}", "--force")[0] == 0
    assert f"a/b@{'e' * 40}" in (tmp_path / ".github" / "workflows" / "validate.yml").read_text()


def test_the_example_course_ships_the_templates() -> None:
    for name in WORKFLOWS:
        assert (ROOT / "examples" / "course" / ".github" / "workflows" / name).read_text() == template(name)
