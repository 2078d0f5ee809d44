"""`validator diff`: what a pull request changed in the comparison table, and whether it may.

The pure half, `diff_tables`, compares two `CheckReport`s and needs no git; `diff_revisions` reads both
README versions and the team's manifest from git objects (`validator.git`), diffs them and applies
`validator.rules`. Rows are matched by `Row.key` (model, method), so reordering is not a change; an edit
whose `Row.values()` are equal (`1.33Gb` -> `1.33 GB`) is reported as format-only. The report types are
in `validator.model`, their renderings in `validator.reporters.diff`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench.manifest import decode_manifest, parse_manifest
from validator.check import check_bytes
from validator.config import CONFIG_FILES, Config, RulesConfig, config_from_bytes
from validator.git import CannotReadRevision, changed_files, list_files, list_folder, read_blob, resolve
from validator.model import (
    FIELDS,
    MANIFEST_NAME,
    QUANTITY_FIELDS,
    ChangedRow,
    CheckReport,
    DiffReport,
    Manifest,
    ManifestError,
    MarkdownDiff,
    Problem,
    Row,
    Table,
    TableDiff,
)
from validator.problems import sort_key
from validator.reading.source import decode
from validator.rules import ChangedFile, Declaration, PullRequest, apply_rules
from validator.teams import Teams, default_folder, identify_team, manifest_template, parse_teams


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


def diff_rows(base_table: Table | None, head_table: Table | None) -> TableDiff:
    """Added, changed and removed rows of one comparison table; no base table adds every head row."""
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


def pair_tables(base: Sequence[Table], head: Sequence[Table]) -> list[tuple[Table | None, Table | None]]:
    """Each head comparison table with the base table it continues, in head order, then the removed ones.

    A head table pairs with the base table sharing most row keys (a table moved or a new one inserted
    before it), else with the next unpaired base table in order (rows all replaced, or the header renamed).
    """
    left = list(base)
    pairs: list[tuple[Table | None, Table | None]] = []
    unmatched: list[int] = []
    for index, table in enumerate(head):
        keys = {row.key for row in table.rows}
        best = max(left, key=lambda b: len(keys & {row.key for row in b.rows}), default=None)
        if best is not None and keys & {row.key for row in best.rows}:
            left.remove(best)
            pairs.append((best, table))
        else:
            pairs.append((None, table))
            unmatched.append(index)
    for index in unmatched:
        if left:
            pairs[index] = (left.pop(0), pairs[index][1])
    return pairs + [(table, None) for table in left]


def diff_tables(base: CheckReport, head: CheckReport) -> TableDiff:
    """The diff of the first comparison table (the course's), as `diff_markdown` pairs it."""
    diffs = [diff_rows(b, h) for b, h in pair_tables(base.comparisons, head.comparisons)]
    return diffs[0] if diffs else TableDiff(base_table=None, head_table=None)


def _signature(problem: Problem) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A problem without where it stands: the same problem on a line that moved is the same problem."""
    return problem.code, tuple(sorted((k, v) for k, v in problem.params.items() if "line" not in k))


def new_problems(base: CheckReport | None, head: CheckReport, diff: MarkdownDiff) -> list[Problem]:
    """The head file's reading problems that are this pull request's doing.

    A problem in a row the PR added or edited is; one in a row it left alone is not; any other (a header, a
    file-wide problem) is when the base did not have it already. `table-missing` where the base had a table
    is said by `table-removed`.
    """
    touched = {row.line for row in diff.added} | {change.after.line for change in diff.changed}
    untouched = {
        row.line for table in diff.tables if table.head_table for row in table.head_table.rows
    } - touched
    before = Counter(_signature(p) for p in base.problems) if base is not None else Counter()
    had_table = base is not None and bool(base.comparisons)
    kept: list[Problem] = []
    for problem in head.problems:
        if problem.line in touched:
            kept.append(problem)
        elif problem.line in untouched or (problem.code == "table-missing" and had_table):
            continue
        elif before[_signature(problem)] > 0:
            before[_signature(problem)] -= 1
        else:
            kept.append(problem)
    return kept


def diff_markdown(
    path: str, base: bytes | None, head: bytes | None, config: Config
) -> tuple[MarkdownDiff, list[Problem]]:
    """A Markdown file's two versions diffed table by table, and the reading problems the PR brought in."""
    if base == head:
        lines = decode(head).lines if head is not None else None
        report = check_bytes(head, path, config) if head is not None else None
        tables = report.comparisons if report is not None else []
        return MarkdownDiff(
            path=path, base_lines=lines, head_lines=lines, tables=[diff_rows(t, t) for t in tables]
        ), []
    base_report = check_bytes(base, path, config) if base is not None else None
    head_report = check_bytes(head or b"", path, config)
    pairs = pair_tables(
        base_report.comparisons if base_report else [],
        head_report.comparisons if head is not None else [],
    )
    diff = MarkdownDiff(
        path=path,
        base_lines=decode(base).lines if base is not None else None,
        head_lines=decode(head).lines if head is not None else None,
        tables=[diff_rows(b, h) for b, h in pairs],
    )
    problems = new_problems(base_report, head_report, diff) if head is not None else []
    return diff, problems


def _new_rows(diff: MarkdownDiff) -> list[Row]:
    """The rows a PR adds or changes in value: what it claims, and what its manifest should declare."""
    return [*diff.added, *(c.after for c in diff.changed if not c.format_only)]


def judge(
    readme: MarkdownDiff,
    reading: Sequence[Problem],
    pr: PullRequest,
    config: Config,
    *,
    others: Sequence[MarkdownDiff] = (),
) -> list[Problem]:
    """Every problem of a pull request, sorted: the README's new reading problems and every rule's.

    Pure (no git): `diff_revisions` gathers its inputs from two commits, a test may build them in memory.
    """
    template = None
    if pr.team.name is not None and pr.manifest is None:
        template = manifest_template(pr.team.name, _new_rows(readme))
    problems = apply_rules(readme, pr, config.rules, others=others, template=template)
    return sorted([*reading, *problems], key=sort_key)


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


def teams_at_revision(repo: Path, sha: str, config: RulesConfig) -> Teams | None:
    """The course's team file at the base revision, or None when it has none; `TeamsFileError` if broken."""
    data = read_blob(repo, sha, config.teams_file)
    return parse_teams(data, config.teams_file) if data is not None else None


def read_manifest(repo: Path, sha: str, path: str) -> Manifest | ManifestError | None:
    """The team's manifest at a commit: parsed, its error (reported as a problem), or None when absent."""
    data = read_blob(repo, sha, path)
    if data is None:
        return None
    try:
        return parse_manifest(decode_manifest(data, Path(path)), Path(path))
    except ManifestError as exc:
        return exc


def _manifest_paths(repo: Path, sha: str, teams: Teams | None, config: RulesConfig) -> dict[str, str]:
    """Every team's manifest path at a commit -> the team (the folder's) it belongs to."""
    if teams is not None:
        return {f"{team.folder}/{MANIFEST_NAME}": team.name for team in teams.teams.values()}
    folder = config.submissions_dir.strip("/")
    found: dict[str, str] = {}
    for path in list_files(repo, sha, folder):
        parts = path.split("/")
        if len(parts) == len(folder.split("/")) + 2 and parts[-1] == MANIFEST_NAME:
            found[path] = parts[-2]
    return found


def read_declarations(
    repo: Path, base_sha: str, head_sha: str, teams: Teams | None, config: RulesConfig
) -> tuple[Declaration, ...]:
    """Every (model, method) each team's manifest declares at the head, marked new where the PR adds it."""
    declarations: list[Declaration] = []
    for path, team in sorted(_manifest_paths(repo, head_sha, teams, config).items()):
        manifest = read_manifest(repo, head_sha, path)
        if not isinstance(manifest, Manifest):
            continue
        before = read_manifest(repo, base_sha, path)
        known = {run.key for run in before.runs} if isinstance(before, Manifest) else set()
        declarations += [
            Declaration(team, path, run.model, run.method, run.line, run.key not in known)
            for run in manifest.runs
        ]
    return tuple(declarations)


#: At most this many other Markdown files of a pull request are read for results written outside the README.
MAX_OTHER_MARKDOWN = 20


def declarations_at(repo: Path, sha: str, config: Config) -> dict[tuple[str, str], list[str]]:
    """(model, method) -> the teams (folder names) whose manifest at `sha` declares it.

    The base revision's declarations decide who owns a run: a pull request cannot take over one
    that another team declared before it.
    """
    folder = config.rules.submissions_dir.strip("/")
    owners: dict[tuple[str, str], list[str]] = {}
    for team in list_folder(repo, sha, folder):
        manifest = read_manifest(repo, sha, f"{folder}/{team}/{MANIFEST_NAME}")
        if isinstance(manifest, Manifest):
            for run in manifest.runs:
                owners.setdefault(run.key, []).append(team)
    return owners


def diff_revisions(
    repo: Path,
    base: str,
    head: str,
    *,
    title: str | None,
    readme: str,
    config: Config,
    author: str | None = None,
) -> DiffReport:
    """Diff the README at two commits and apply every rule; raises `CannotReadRevision` (exit 2).

    The team comes from the team file at the base (by `author`, else by `title`); a broken team file
    raises `TeamsFileError`, a `ConfigError` (exit 2): the course's settings are wrong, not the PR.
    """
    base_sha, head_sha = resolve(repo, base), resolve(repo, head)
    base_data, head_data = read_blob(repo, base_sha, readme), read_blob(repo, head_sha, readme)
    if base_data is None and head_data is None:
        raise CannotReadRevision(f"{readme} exists neither at {base} nor at {head}")
    rules = config.rules
    teams = teams_at_revision(repo, base_sha, rules)
    identity = identify_team(author=author, title=title, teams=teams, config=rules)
    files = tuple(ChangedFile(status, path) for status, path in changed_files(repo, base_sha, head_sha))
    readme_diff, reading = diff_markdown(readme, base_data, head_data, config)
    others: list[MarkdownDiff] = []
    for changed in files:
        if changed.path == readme or changed.status == "D" or not changed.path.lower().endswith(".md"):
            continue
        if len(others) >= MAX_OTHER_MARKDOWN:
            break
        other, _ = diff_markdown(
            changed.path,
            read_blob(repo, base_sha, changed.path) if changed.status != "A" else None,
            read_blob(repo, head_sha, changed.path),
            config,
        )
        others.append(other)
    manifest_path = f"{identity.folder}/{MANIFEST_NAME}" if identity.folder else None
    manifest = read_manifest(repo, head_sha, manifest_path) if manifest_path else None
    declarations: tuple[Declaration, ...] = ()
    if any(f.path.endswith(f"/{MANIFEST_NAME}") for f in files):
        declarations = read_declarations(repo, base_sha, head_sha, teams, rules)
    pr = PullRequest(
        team=identity,
        title=title,
        manifest=manifest,
        files=files,
        declarations=declarations,
        teams_file=rules.teams_file if teams is not None else None,
        team_folders=_team_folders(repo, base_sha, teams, files, rules),
    )
    rows = _new_rows(readme_diff)
    return DiffReport(
        base=base_sha,
        head=head_sha,
        team=identity.name,
        team_found_by=identity.found_by,
        added=readme_diff.added,
        changed=readme_diff.changed,
        removed=readme_diff.removed,
        problems=judge(readme_diff, reading, pr, config, others=others),
        path=readme,
        base_table=readme_diff.base_table,
        head_table=readme_diff.head_table,
        manifest_path=manifest_path,
        manifest_template=manifest_template(identity.name or "<team>", rows) if rows else None,
    )


class NothingToDeclare(CannotReadRevision):
    """`validator manifest` on a pull request whose table rows did not change, or whose team is unknown."""


def manifest_for_pull_request(
    repo: Path,
    base: str,
    head: str,
    *,
    author: str | None,
    title: str | None,
    team: str | None,
    readme: str,
    config: Config,
) -> tuple[str, str]:
    """The manifest a team without one adds: (its path in the course, its text from the PR's own rows).

    `team` names the team outright (a student's local run); otherwise it is found as `validator diff`
    finds it. Raises `NothingToDeclare` when the team is unknown or the PR adds or changes no row.
    """
    report = diff_revisions(repo, base, head, title=title, author=author, readme=readme, config=config)
    rows = [*report.added, *(c.after for c in report.changed if not c.format_only)]
    if not rows:
        raise NothingToDeclare(
            f"{readme}: no row is added or changed between {base} and {head}: nothing to declare"
        )
    name = team or report.team
    if name is None or name in (".", "..") or any(char in name for char in "/\\\x00:"):
        raise NothingToDeclare(
            "the team is unknown: pass --author LOGIN (a member in the team file), a --title naming it, "
            "or --team NAME"
        )
    teams = teams_at_revision(repo, resolve(repo, base), config.rules)
    known = teams.by_name(name) if teams is not None else None
    folder = known.folder if known is not None else default_folder(name, config.rules)
    return f"{folder}/{MANIFEST_NAME}", manifest_template(known.name if known else name, rows)


def _team_folders(
    repo: Path, base_sha: str, teams: Teams | None, files: Sequence[ChangedFile], config: RulesConfig
) -> tuple[tuple[str, str], ...]:
    """Team -> folder: the team file's, or else each `<submissions_dir>/<team>` the base already has."""
    if teams is not None:
        return tuple((team.name, team.folder) for team in teams.teams.values())
    folder = config.submissions_dir.strip("/")
    if not any(changed.path.startswith(folder + "/") for changed in files):
        return ()  # no changed file is in a team's folder: no need to list them
    return tuple((name, f"{folder}/{name}") for name in sorted(list_folder(repo, base_sha, folder)))
