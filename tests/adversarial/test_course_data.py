"""Issue 14, item 4: quality measured on the course's own eval set, which the team cannot see or edit.

The team writes its data and references, so its code can carry the answers to them (WER 0 with no
model). A course that declares an eval set per task in its base revision measures every run of that
task on it instead; rows measured on team data say so.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.diff.gitrepo import readme

from .attacks import SETTINGS, course, row, verify, write_team

TEAM_INPUTS = [{"clip": n} for n in range(4)]
TEAM_REFERENCES = ["hello world", "good morning", "the cat sat", "model compression"]
COURSE_INPUTS = [{"clip": n} for n in range(100, 104)]
COURSE_REFERENCES = ["open the door", "turn left here", "it is raining", "read the book"]

# No model at all: the answers to its own data are written into the code.
ANSWERS = f"""
import json
ANSWERS = {{json.dumps(i, sort_keys=True): r for i, r in zip({TEAM_INPUTS!r}, {TEAM_REFERENCES!r})}}
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        return [ANSWERS.get(json.dumps(item, sort_keys=True), "no idea") for item in inputs]
"""


def _eval_file(inputs: list[object], references: list[str]) -> str:
    return "".join(
        json.dumps({"input": i, "reference": r}) + "\n" for i, r in zip(inputs, references, strict=True)
    )


def test_answers_carried_in_the_code_fail_on_the_course_eval_set(tmp_path: Path) -> None:
    settings = SETTINGS + '[bench.eval_sets]\nspeech-recognition = "eval/asr.jsonl"\n'
    repo, _ = course(tmp_path / "course", settings=settings)
    base = repo.commit({"eval/asr.jsonl": _eval_file(COURSE_INPUTS, COURSE_REFERENCES)}, "the course's exam")
    write_team(
        repo.path / "submissions" / "cheat",
        ANSWERS,
        inputs=TEAM_INPUTS,
        references=TEAM_REFERENCES,
        task="speech-recognition",
    )
    # The PR also rewrites the course's eval set to its own data: the base revision's counts.
    head = repo.commit(
        {
            "README.md": readme(row("cheat-model", quality="WER: 0.0")),
            "eval/asr.jsonl": _eval_file(TEAM_INPUTS, TEAM_REFERENCES),
        },
        "cheat HW-1",
    )
    done, report = verify(repo, base, head, "cheat HW-1")
    assert "Traceback" not in done.stderr, done.stderr
    assert report["verdict"] == "fail", report["problems"]
    wer = next(c for c in report["rows"][0]["checks"] if c["field"] == "quality.WER")
    assert wer["verdict"] == "mismatch"
    assert wer["verified"]["value"] > 0.5


def test_rows_measured_on_team_data_say_so(tmp_path: Path) -> None:
    settings = SETTINGS + '[bench.eval_sets]\nclassification = "eval/labels.jsonl"\n'
    repo, _ = course(tmp_path / "course", settings=settings)
    base = repo.commit({"eval/labels.jsonl": _eval_file([1, 2], ["a", "b"])}, "exam")
    write_team(
        repo.path / "submissions" / "asr",
        ANSWERS,
        inputs=TEAM_INPUTS,
        references=TEAM_REFERENCES,
        task="speech-recognition",
    )
    head = repo.commit({"README.md": readme(row("asr-model", quality="WER: 0.0"))}, "asr HW-1")
    done, report = verify(repo, base, head, "asr HW-1")
    assert "Traceback" not in done.stderr, done.stderr
    team_data = [p for p in report["problems"] if p["code"] == "measured-on-team-data"]
    assert len(team_data) == 1, report["problems"]
    assert team_data[0]["severity"] == "warning"
    assert "speech-recognition" in team_data[0]["message"]
