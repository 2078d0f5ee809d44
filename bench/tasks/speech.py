"""speech-recognition: one transcript per input; WER and CER (jiwer) as fractions, as the course writes them.

The text-to-speech task scores the transcripts of its audio with the same function.
"""

from __future__ import annotations

from typing import Any

from bench.tasks.interface import CannotScoreOutputs, Context, Task, sample_name, std
from validator.model import Metric


def error_rates(hypotheses: list[str], references: list[str]) -> list[Metric]:
    """Corpus WER and CER, with the spread of the per-sample rates."""
    import jiwer

    # jiwer refuses empty references and hypotheses; an empty text is scored as one empty word.
    hyps = [h if h.strip() else "<empty>" for h in hypotheses]
    refs = [r if r.strip() else "<empty>" for r in references]
    per_wer = [float(jiwer.wer(r, h)) for r, h in zip(refs, hyps, strict=True)]
    per_cer = [float(jiwer.cer(r, h)) for r, h in zip(refs, hyps, strict=True)]
    return [
        Metric(name="WER", value=float(jiwer.wer(refs, hyps)), std=std(per_wer)),
        Metric(name="CER", value=float(jiwer.cer(refs, hyps)), std=std(per_cer)),
    ]


class SpeechRecognition(Task):
    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        for index, output in enumerate(outputs):
            if not isinstance(output, str):
                raise CannotScoreOutputs(
                    f"{sample_name(index)}: speech-recognition outputs must be transcripts (str), "
                    f"not {type(output).__name__}"
                )
        return error_rates(outputs, [str(r) for r in references])

    def exercise(self) -> None:
        self.score([0, 0], ["a b", ""], ["a c", "d"], Context())
