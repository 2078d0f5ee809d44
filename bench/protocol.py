"""What a team's submission must look like: a plain class, documented here as a `typing.Protocol`.

```python
class Submission:
    def load(self, device: str) -> None: ...           # build or read the model onto "cpu" or "cuda"
    def predict(self, inputs: list) -> list: ...       # one output per input, JSON-serializable
```

The harness constructs the class without arguments, calls `load` once, then `predict` on batches of
the `input` values of `data` (passed unchanged). It keeps the `reference` values to itself, times every
call with its own clock and computes the quality from the returned outputs: the team's code never
times itself and never computes its own metric.

Outputs by task (`bench.tasks`): `text-generation` -> the generated token ids; `speech-recognition` ->
the transcript (str); `text-classification` (or `classification`) -> the label (str or int);
`token-classification` -> the BIO tags of the input's words; `image-classification` -> a label or a
ranked list of labels (the input is the image's absolute path); `language-modeling` -> the
log-likelihood of each token of the input text; `text-to-speech` -> {"audio": [floats],
"sample_rate": N}; `generic` -> anything JSON.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Submission(Protocol):
    def load(self, device: str) -> None:
        """Prepare the model on `device` ("cpu" or "cuda"); not timed, its memory is measured."""

    def predict(self, inputs: list[Any]) -> list[Any]:
        """One output per input, in order."""
