"""The root of our exception families: one family per boundary, each named like a sentence.

`CannotReadFile` (check), `ConfigError` (settings), `CannotReadRevision` (git), `ManifestError` (a team's
bench.toml), `WorkTreeIsNotAtHead` (verify), `CannotReadEvent` (the workflow's payload), `CannotPlan`
(the CI matrix), `CannotReadReport` (an artifact), `CannotPostComment` (the GitHub API) and
`SettingsAreInvalid` (options that do not go together). The application layer lets them through; the
CLI prints the message and exits 2, never a traceback.
"""

from __future__ import annotations


class ValidatorError(Exception):
    """A usage or I/O error: the message says what and where; the command exits 2."""


class SettingsAreInvalid(ValidatorError):
    """The options given to a command do not go together (`--base` without `--head`)."""
