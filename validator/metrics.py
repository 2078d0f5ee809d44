"""Quality metric names: how students write them, and the one key each is compared by."""

from __future__ import annotations

#: Canonical key -> spellings (compared case-insensitively, ignoring spaces, '-' and '_').
METRIC_ALIASES: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy", "acc", "точность", "top1", "top-1 accuracy", "доля правильных ответов"),
    "f1": ("f1", "f1-score", "f1 score", "f-score", "f1 macro", "macro-f1", "macro f1", "f1-мера", "ф1"),
    "precision": ("precision", "prec"),
    "recall": ("recall", "полнота"),
    "wer": ("wer", "word error rate"),
    "cer": ("cer", "character error rate"),
    "bleu": ("bleu",),
    "ppl": ("ppl", "perplexity", "перплексия"),
    "exact_match": ("exact match", "exact_match", "em"),
}

_LOOKUP = {
    "".join(alias.casefold().replace("-", " ").replace("_", " ").split()): key
    for key, aliases in METRIC_ALIASES.items()
    for alias in aliases
}


def metric_key(name: str) -> str:
    """`'F1-Score'` -> `'f1'`, `'Точность'` -> `'accuracy'`; unknown names keep their own folded form."""
    folded = "".join(name.casefold().replace("-", " ").replace("_", " ").split())
    return _LOOKUP.get(folded, folded)


def is_metric_name(name: str) -> bool:
    return metric_key(name) in METRIC_ALIASES or name.casefold().startswith("nisqa")


#: Metrics where lower is better (error rates, perplexity).
LOWER_IS_BETTER = frozenset({"wer", "cer", "ppl"})
