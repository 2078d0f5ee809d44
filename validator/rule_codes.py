"""The names of the diff rules, which `[rules.severity]` may set: below both the config and the rules.

`validator.config` checks the keys of `[rules.severity]` against these names, and `validator.rules`
defines one problem type per name (it checks, when imported, that the two lists agree), so neither
module imports the other.
"""

from __future__ import annotations

#: Ownership: which rows a pull request may touch (errors by default).
OWNERSHIP_RULES: tuple[str, ...] = (
    "team-unknown",
    "manifest-missing",
    "manifest-invalid",
    "manifest-team-mismatch",
    "row-declared-twice",
    "readme-removed",
    "readme-text-changed",
    "results-outside-readme",
    "table-removed",
    "table-header-changed",
    "row-not-declared",
    "row-changed-not-owned",
    "row-reformatted-not-owned",
    "row-removed-not-owned",
    "file-not-owned",
)
#: Plausibility: numbers impossible on their face (warnings by default).
PLAUSIBILITY_RULES: tuple[str, ...] = (
    "method-names-model",
    "vram-below-weights",
    "ram-below-weights",
    "no-original-row",
    "size-contradicts-method",
    "throughput-above-roofline",
    "copied-numbers",
    "spread-above-value",
)
RULE_CODES: frozenset[str] = frozenset((*OWNERSHIP_RULES, *PLAUSIBILITY_RULES))
