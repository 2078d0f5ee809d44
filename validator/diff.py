"""`validator diff`: what a pull request changed in the comparison table, and whether it may.

The pure half, `diff_tables`, compares two `CheckReport`s and needs no git; `diff_revisions` reads both
README versions and the team's manifest from git objects (`validator.git`), diffs them and applies
`validator.rules`. Rows are matched by `Row.key` (model, method), so reordering is not a change; an
edit whose `Row.values()` are equal (`1.33Gb` -> `1.33 GB`) is reported as format-only. The report
types are in `validator.model`, its renderings in `validator.reporters.diff`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from bench.manifest import decode_manifest, parse_manifest
from validator.check import check_bytes
from validator.config import CONFIG_FILES, Config, config_from_bytes
from validator.git import CannotReadRevision, list_folders, read_blob, resolve
from validator.model import (
    FIELDS,
    MANIFEST_NAME,
    QUANTITY_FIELDS,
    ChangedRow,
    CheckReport,
    DiffReport,
    Manifest,
    ManifestError,
    Row,
    TableDiff,
)
from validator.problems import sort_key
from validator.rules import apply_rules, manifest_path, team_from_title


def compare_rows(before: Row, after: Row) -> ChangedRow | None:
    """How `after` differs from `before` (same key), or None when nothing but the line moved."""
    old, new = before.values(), after.values()
    value_fields = [name for name in (*QUANTITY_FIELDS, "quality") if old.get(name) != new.get(name)]
    if value_fields:
        return ChangedRow(before=before, after=after, fields=value_fields, format_only=False)
    written: list[str] = [name for name in FIELDS if before.written(name) != after.written(name)]
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
    return TableDiff(
        base_table=base_table, head_table=head_table, added=added, changed=changed, removed=removed
    )


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
