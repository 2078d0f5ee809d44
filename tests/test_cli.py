"""`validator check` through its command line: formats, exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import CORPUS, DATA
from validator.cli import main

NO_UNIT = DATA / "readmes" / "negative" / "no-unit.md"
GOOD = DATA / "readmes" / "positive" / "english-renamed-columns.md"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_text_format_points_at_file_line_column_and_suggests() -> None:
    code, out = run("check", str(NO_UNIT))
    assert code == 1
    assert f"{NO_UNIT}:5:17: error [cell-no-unit]" in out
    assert "suggested: 105 MB" in out
    assert out.rstrip().endswith("1 error, 0 warnings")


def test_json_format_follows_the_contract() -> None:
    code, out = run("check", str(NO_UNIT), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert set(data) >= {"path", "tables", "problems"}
    (table,) = data["tables"]
    assert set(table) >= {"line", "kind", "columns", "rows"}
    row = table["rows"][0]
    assert set(row) >= {
        "line",
        "model",
        "method",
        "weights_size",
        "cpu_speed",
        "gpu_speed",
        "ram",
        "vram",
        "quality",
        "notes",
    }
    assert row["weights_size"] == {"value": 420.0, "std": None, "unit": "MB", "note": None}
    problem = data["problems"][0]
    assert {k: problem[k] for k in ("line", "column", "severity", "code")} == {
        "line": 5,
        "column": 17,
        "severity": "error",
        "code": "cell-no-unit",
    }


def test_github_format_is_workflow_commands() -> None:
    code, out = run("check", str(NO_UNIT), "--format", "github")
    assert code == 1
    assert out.startswith(f"::error file={NO_UNIT},line=5,col=17,title=cell-no-unit::`105` has no unit")
    assert "%0A" in out  # the suggestion is on its own line, escaped


def test_russian_messages() -> None:
    code, out = run("check", str(NO_UNIT), "--lang", "ru")
    assert code == 1
    assert "нет единицы измерения" in out and "1 ошибка, 0 предупреждений" in out


def test_clean_file_exits_0() -> None:
    assert run("check", str(GOOD))[0] == 0


def test_missing_file_is_a_usage_error() -> None:
    code, out = run("check", "does-not-exist.md")
    assert code == 2
    assert "does-not-exist.md: no such file" in out


def test_bad_config_is_a_usage_error_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "validator.toml").write_text('language = "en"\n[table]\nmin_fieldz = 3\n', encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_bytes(GOOD.read_bytes())
    code, out = run("check", str(readme))
    assert code == 2
    assert f"{tmp_path / 'validator.toml'}:3: table.min_fieldz: Extra inputs are not permitted" in out


def test_config_language_applies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.validator]\nlanguage = "ru"\n', encoding="utf-8")
    (tmp_path / "README.md").write_bytes(NO_UNIT.read_bytes())
    code, out = run("check", str(tmp_path / "README.md"))
    assert code == 1 and "нет единицы измерения" in out


def test_real_process_has_no_traceback() -> None:
    """One run through a real interpreter, as CI and students run it."""
    proc = subprocess.run(
        [sys.executable, "-m", "validator", "check", str(CORPUS / "pr-07" / "head__README.md")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "69:36: error [cell-no-unit]" in proc.stdout
