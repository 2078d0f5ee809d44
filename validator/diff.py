"""`validator diff`: what a pull request changed in the comparison table, and whether it may.

The pure half, `diff_tables`, compares two `CheckReport`s and needs no git; `diff_revisions` reads both
README versions and the team's manifest from git objects (`validator.git`), diffs them and applies
`validator.rules`. Rows are matched by `Row.key` (model, method), so reordering is not a change; an edit
whose `Row.values()` are equal (`1.33Gb` -> `1.33 GB`) is reported as format-only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bench.manifest import MANIFEST_NAME, Manifest, ManifestError, decode_manifest, parse_manifest
from validator.check import check_bytes
from validator.config import CONFIG_FILES, Config, config_from_bytes
from validator.git import CannotReadRevision, list_folders, read_blob, resolve
from validator.model import FIELDS, QUANTITY_FIELDS, CheckReport, Problem, Row, Table
from validator.problems import localized, sort_key
from validator.reporters import github_annotation, problem_line, summary_line
from validator.rules import apply_rules, manifest_path, team_from_title
from validator.units import format_quantity


class ChangedRow(BaseModel):
    """One row present on both sides whose numbers, or only their writing, changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    before: Row
    after: Row
    #: The fields whose numbers changed; for a format-only edit, the fields whose writing changed.
    fields: list[str]
    format_only: bool


@dataclass(frozen=True)
class TableDiff:
    """The comparison tables of two versions of a README, row by row."""

    base_table: Table | None
    head_table: Table | None
    added: list[Row] = field(default_factory=list)
    changed: list[ChangedRow] = field(default_factory=list)
    removed: list[Row] = field(default_factory=list)


class DiffReport(BaseModel):
    """What `validator diff` returns; its JSON is the contract the verify stage and the comment read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str | None = None
    head: str | None = None
    team: str | None = None
    added: list[Row] = Field(default_factory=list)
    changed: list[ChangedRow] = Field(default_factory=list)
    removed: list[Row] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    #: The README the problem lines point into (the head's); not part of the JSON.
    path: str = Field(default="README.md", exclude=True)
    #: The comparison tables read at each side, for the stages that go on from here (verify); not in the JSON.
    base_table: Table | None = Field(default=None, exclude=True)
    head_table: Table | None = Field(default=None, exclude=True)

    @property
    def has_errors(self) -> bool:
        return any(p.severity.value == "error" for p in self.problems)


def _writing(row: Row, name: str) -> str:
    """A cell as written, blanks folded: re-aligning a Markdown table is not an edit."""
    source = row.source.get(name)
    return " ".join(source.text.split()) if source else ""


def compare_rows(before: Row, after: Row) -> ChangedRow | None:
    """How `after` differs from `before` (same key), or None when nothing but the line moved."""
    old, new = before.values(), after.values()
    value_fields = [name for name in (*QUANTITY_FIELDS, "quality") if old.get(name) != new.get(name)]
    if value_fields:
        return ChangedRow(before=before, after=after, fields=value_fields, format_only=False)
    written: list[str] = [name for name in FIELDS if _writing(before, name) != _writing(after, name)]
    if before.notes != after.notes and "notes" not in written:
        written.append("notes")
    if written:
        return ChangedRow(before=before, after=after, fields=written, format_only=True)
    return None


def diff_tables(base: CheckReport, head: CheckReport) -> TableDiff:
    """Added, changed and removed rows of the comparison table; a base without one adds every head row."""
    base_table, head_table = base.comparison, head.comparison
    base_rows = base_table.rows if base_table else []
    head_rows = head_table.rows if head_table else []
    # Duplicate keys (reported by `check`) pair up in order: the first with the first.
    pending: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in base_rows:
        pending[row.key].append(row)
    added: list[Row] = []
    changed: list[ChangedRow] = []
    for row in head_rows:
        if pending[row.key]:
            change = compare_rows(pending[row.key].pop(0), row)
            if change is not None:
                changed.append(change)
        else:
            added.append(row)
    removed = sorted((row for rows in pending.values() for row in rows), key=lambda r: r.line)
    return TableDiff(base_table, head_table, added, changed, removed)


# --- reading revisions -----------------------------------------------------------------------------


def config_at_revision(repo: Path, rev: str) -> Config:
    """The course's settings as the base revision has them: a PR cannot relax the rules it is judged by."""
    sha = resolve(repo, rev)
    for name in CONFIG_FILES:
        data = read_blob(repo, sha, name)
        where, section = Path(f"{rev}:{name}"), name == "pyproject.toml"
        config = config_from_bytes(data, where, section=section) if data is not None else None
        if config is not None:
            return config
    return Config.model_construct()


def read_manifest(repo: Path, sha: str, path: str) -> Manifest | ManifestError | None:
    """The team's manifest at a commit: parsed, its error (reported as a problem), or None when absent."""
    data = read_blob(repo, sha, path)
    if data is None:
        return None
    try:
        return parse_manifest(decode_manifest(data, Path(path)), Path(path))
    except ManifestError as exc:
        return exc


def declarations_at(repo: Path, sha: str, config: Config) -> dict[tuple[str, str], list[str]]:
    """(model, method) -> the teams (folder names) whose manifest at `sha` declares it.

    The base revision's declarations decide who owns a run: a pull request cannot take over one
    that another team declared before it.
    """
    folder = config.rules.submissions_dir.strip("/")
    owners: dict[tuple[str, str], list[str]] = {}
    for team in list_folders(repo, sha, folder):
        manifest = read_manifest(repo, sha, f"{folder}/{team}/{MANIFEST_NAME}")
        if isinstance(manifest, Manifest):
            for run in manifest.runs:
                owners.setdefault(run.key, []).append(team)
    return owners


def diff_revisions(
    repo: Path, base: str, head: str, *, title: str | None, readme: str, config: Config
) -> DiffReport:
    """Diff README at two commits and apply every rule; raises `CannotReadRevision` (exit 2)."""
    base_sha, head_sha = resolve(repo, base), resolve(repo, head)
    base_data, head_data = read_blob(repo, base_sha, readme), read_blob(repo, head_sha, readme)
    if base_data is None and head_data is None:
        raise CannotReadRevision(f"{readme} exists neither at {base} nor at {head}")
    base_report = check_bytes(base_data or b"", readme, config)
    head_report = check_bytes(head_data or b"", readme, config)
    diff = diff_tables(base_report, head_report)
    team = team_from_title(title, config.rules) if title is not None else None
    manifest = read_manifest(repo, head_sha, manifest_path(team, config.rules)) if team else None
    owners = declarations_at(repo, base_sha, config) if team else {}
    problems = apply_rules(diff, title=title, manifest=manifest, config=config.rules, owners=owners)
    return DiffReport(
        base=base_sha,
        head=head_sha,
        team=team,
        added=diff.added,
        changed=diff.changed,
        removed=diff.removed,
        problems=sorted([*head_report.problems, *problems], key=sort_key),
        path=readme,
        base_table=diff.base_table,
        head_table=diff.head_table,
    )


# --- reporters -------------------------------------------------------------------------------------

_WORDS = {
    "en": {
        "added": "added",
        "changed": "changed",
        "reformatted": "reformatted (same numbers)",
        "removed": "removed, was at line {line} of the base",
        "none": "nothing",
        "totals": "{a} added, {c} changed ({f} format-only), {r} removed",
    },
    "ru": {
        "added": "добавлена",
        "changed": "изменена",
        "reformatted": "переписана (числа те же)",
        "removed": "удалена, была в строке {line} базовой версии",
        "none": "ничего",
        "totals": "добавлено {a}, изменено {c} (только запись: {f}), удалено {r}",
    },
}


def _cell(row: Row, name: str) -> str:
    quantity = row.quantity(name) if name in QUANTITY_FIELDS else None
    if quantity is not None:
        return format_quantity(quantity)
    return _writing(row, name) or "-"


def _label(row: Row) -> str:
    return f"({row.model}, {row.method or '-'})"


def text_diff(report: DiffReport, language: str = "en") -> str:
    words = _WORDS.get(language, _WORDS["en"])
    where = report.path
    lines = [f"{where}:{row.line}: {words['added']} {_label(row)}" for row in report.added]
    for change in report.changed:
        row = change.after
        if change.format_only:
            edits = ", ".join(
                f"{name} `{_writing(change.before, name)}` -> `{_writing(row, name)}`"
                for name in change.fields
            )
            lines.append(f"{where}:{row.line}: {words['reformatted']} {_label(row)}: {edits}")
        else:
            edits = ", ".join(
                f"{name} {_cell(change.before, name)} -> {_cell(row, name)}" for name in change.fields
            )
            lines.append(f"{where}:{row.line}: {words['changed']} {_label(row)}: {edits}")
    lines += [f"{where}: {words['removed'].format(line=row.line)} {_label(row)}" for row in report.removed]
    lines += [problem_line(p, where, language) for p in report.problems]
    totals = words["totals"].format(
        a=len(report.added),
        c=len(report.changed),
        f=sum(c.format_only for c in report.changed),
        r=len(report.removed),
    )
    lines.append(f"{totals}; {summary_line(report.problems, language)}")
    return "\n".join(lines)


def json_diff(report: DiffReport, language: str = "en") -> str:
    data = report.model_dump(mode="json")
    for problem, dumped in zip(report.problems, data["problems"], strict=True):
        dumped["message"] = localized(problem, language)
    return json.dumps(data, ensure_ascii=False, indent=2)


def github_diff(report: DiffReport, language: str = "en") -> str:
    return "\n".join(github_annotation(p, report.path, language) for p in report.problems)


DIFF_REPORTER_BY_NAME = {"text": text_diff, "json": json_diff, "github": github_diff}
