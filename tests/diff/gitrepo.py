"""Throwaway git repositories and course READMEs for the diff tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

HEADING = "### Таблица сравнения методов компрессии моделей"
HEADER = (
    "| Модель | Метод | Размер весов | Время инференса (CPU, ms) | Время инференса (GPU, ms) "
    "| Использование RAM (MB) | Использование VRAM (MB) | Качество (PPL, BLEU, Accuracy) |\n"
    "| :--- | :---: | :---: | :---: | :---: | :---: | :---: | :---: |"
)
TEMPLATE = "| your model name | Оригинал | --Mb | 0.0ms | 0.0ms | - | 100Mb | 99.9% Accuracy |"
BERT = "| dslim/bert-large-NER | Оригинал | 1.33Gb | 769.1ms | 31.9ms (Tesla T4) | 2.7Gb | 1.4Gb | 82.8% F1 |"
BERT_INT8 = "| dslim/bert-large-NER | Quantized INT8 | 424 MB | 166.7 ms | -- | 424 MB | 424 MB | 72.6% F1 |"
VIT = (
    "| google/vit-base-patch16-224-in21k | Оригинал | 327.32Mb | 285.25ms | 6.28ms | 203.06Mb | 344.13Mb "
    "| 31.25% Accuracy |"
)


def readme(*rows: str, header: str = HEADER, intro: str = "# Course\n\nSome text.\n") -> str:
    """A course README whose comparison table holds `rows` (Markdown row lines)."""
    return f"{intro}\n{HEADING}\n{header}\n" + "".join(f"{row}\n" for row in rows) + "\nThe end.\n"


def manifest(team: str, runs: Iterable[tuple[str, str]]) -> str:
    text = f'team = "{team}"\n'
    for model, method in runs:
        text += (
            f'\n[[run]]\nmodel = "{model}"\nmethod = "{method}"\nentry = "bench.py:Submission"\n'
            'data = "data/eval.jsonl"\n'
        )
    return text


class Repo:
    """A git repository in a temporary folder, committed to with a fixed identity."""

    def __init__(self, path: Path, *, init: bool = True):
        self.path = path
        if init:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def write(self, relative: str, text: str) -> None:
        path = self.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def remove(self, relative: str) -> None:
        self.git("rm", "-q", relative)

    def commit(self, files: dict[str, str] | None = None, message: str = "commit") -> str:
        """Write `files` (path -> text) and commit everything; returns the sha."""
        for name, text in (files or {}).items():
            self.write(name, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")
