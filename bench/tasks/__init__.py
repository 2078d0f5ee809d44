"""The course's tasks: how the parent validates, counts and scores a run's outputs (`RunSpec.task`).

One module per task concept; `TASKS` maps each task name of the manifest to its behaviour:

| task | an output | speed | quality |
| --- | --- | --- | --- |
| generic | anything JSON | ms/sample | none |
| text-generation | generated token ids | tokens/s | exact match % (references = token ids) |
| speech-recognition | the transcript | ms/sample | WER, CER |
| text-classification, classification | a label | ms/sample | accuracy %, macro-F1 % |
| token-classification | BIO tags of the input's words | ms/sample | entity precision, recall, F1 % |
| image-classification | a label or a ranked list | ms/sample | accuracy %, top-5 accuracy % |
| language-modeling | per-token log-likelihoods | tokens/s | perplexity |
| text-to-speech | {"audio", "sample_rate"} | tokens/s + real-time factor | WER, CER of a transcript |

Quality is computed here, in the parent, against references the child never receives.
"""

from __future__ import annotations

import contextlib
from typing import Any

from bench.tasks.classification import TextClassification
from bench.tasks.generation import TextGeneration
from bench.tasks.image_classification import ImageClassification
from bench.tasks.interface import CannotPrepareTask, CannotScoreOutputs, Context, Counted, Task
from bench.tasks.language_modeling import LanguageModeling
from bench.tasks.speech import SpeechRecognition
from bench.tasks.text_to_speech import TextToSpeech
from bench.tasks.token_classification import TokenClassification
from validator.model import Metric

__all__ = [
    "TASKS",
    "CannotPrepareTask",
    "CannotScoreOutputs",
    "Context",
    "Counted",
    "Task",
    "compute_quality",
    "prepare_scoring",
    "task_named",
]

_text_classification = TextClassification()
TASKS: dict[str, Task] = {
    "generic": Task(),
    "text-generation": TextGeneration(),
    "speech-recognition": SpeechRecognition(),
    "classification": _text_classification,
    "text-classification": _text_classification,
    "token-classification": TokenClassification(),
    "image-classification": ImageClassification(),
    "language-modeling": LanguageModeling(),
    "text-to-speech": TextToSpeech(),
}


def task_named(name: str) -> Task:
    task = TASKS.get(name)
    if task is None:
        raise CannotScoreOutputs(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))}")
    return task


def compute_quality(
    task: str,
    outputs: list[Any],
    references: list[Any],
    inputs: list[Any] | None = None,
    context: Context | None = None,
) -> list[Metric]:
    """The quality figures of a run's outputs (data order) against the references it never saw."""
    if len(outputs) != len(references):
        raise CannotScoreOutputs(f"{len(outputs)} outputs for {len(references)} references")
    scorer = task_named(task)
    if not references:
        return []
    given = inputs if inputs is not None else [None] * len(outputs)
    return scorer.score(given, outputs, references, context or Context())


def prepare_scoring() -> None:
    """Import and run every scorer once, so nothing is imported after a child ran (see the runner)."""
    for task in dict.fromkeys(TASKS.values()):
        with contextlib.suppress(ImportError):  # jiwer, seqeval come with the [bench] extra
            task.exercise()
