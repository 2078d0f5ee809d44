"""`validator bench` end to end: the CLI over throwaway teams and the example course."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from bench.manifest import Manifest
from validator.cli import main

MakeTeam = Callable[..., Manifest]
COURSE = Path(__file__).resolve().parents[2] / "examples" / "course"
OK = "class S:\n    def load(self, d):\n        pass\n    def predict(self, x):\n        return x\n"


def test_json_report_and_exit_codes(make_team: MakeTeam) -> None:
    manifest = make_team(OK)
    runner = CliRunner()
    args = ["bench", str(manifest.folder), "--format", "json", "--timeout", "20", "--memory-limit", "300"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"runs", "environment"}
    run = report["runs"][0]
    assert {"model", "method", "status", "device", "cpu_speed", "ram", "samples", "repeats"} <= set(run)
    assert run["status"] == "ok"
    assert run["cpu_speed"]["unit"] == "ms"
    assert "[1/1] team: m / x: load" in result.stderr  # plain progress lines off a terminal


def test_failed_run_exits_1_and_says_why(make_team: MakeTeam) -> None:
    manifest = make_team(
        "class S:\n    def load(self, d):\n        raise RuntimeError('boom')\n"
        "    def predict(self, x):\n        return x\n"
    )
    result = CliRunner().invoke(main, ["bench", str(manifest.folder), "--memory-limit", "300"])
    assert result.exit_code == 1
    assert "m / x: error: RuntimeError: boom" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path, make_team: MakeTeam) -> None:
    result = CliRunner().invoke(main, ["bench", str(tmp_path)])
    assert result.exit_code == 2
    assert "no bench.toml" in result.stderr
    manifest = make_team(OK)
    (manifest.folder / "bench.toml").write_text("team = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["bench", str(manifest.folder)])
    assert result.exit_code == 2
    assert "bench.toml" in result.stderr
    assert "Traceback" not in result.output


def test_example_course_gpt_squad() -> None:
    """The example course's text-generation team: INT8 is smaller, the original matches its references."""
    result = CliRunner().invoke(
        main, ["bench", str(COURSE / "submissions" / "gpt_squad"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    runs = {run["method"]: run for run in json.loads(result.stdout)["runs"]}
    original, int8 = runs["Оригинал"], runs["INT8 (dynamic quantization)"]
    assert original["cpu_speed"]["unit"] == "tokens/s"
    assert original["ms_per_token"]["unit"] == "ms/token"
    assert original["weights_source"] == "parameters"
    assert int8["weights_size"]["value"] < 0.6 * original["weights_size"]["value"]
    assert [(m["name"], m["value"], m["unit"]) for m in original["quality"]] == [("exact match", 100.0, "%")]
    assert original["threads"] == 1  # the course's validator.toml sets it


def test_student_text_cannot_drive_the_terminal(make_team: MakeTeam) -> None:
    manifest = make_team(
        "class S:\n    def load(self, d):\n        raise RuntimeError('\\x1b[2J\\x1b]0;pwned\\x07gone')\n"
        "    def predict(self, x):\n        return x\n"
    )
    result = CliRunner().invoke(main, ["bench", str(manifest.folder), "--memory-limit", "300"])
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    assert "?[2J?]0;pwned?gone" in result.stdout
