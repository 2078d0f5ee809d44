"""What a pull request may change, and which numbers are impossible on their face.

Two families, each rule a problem type with a stable code:
- ownership: a PR adds, changes or removes only its team's rows, changes only files in its team's
  folder, and leaves the course's README text, the table and its header alone (errors by default). It
  is judged on every PR, with or without a manifest: a team's rows are those its manifest declares, or,
  without one (or when the team is unknown), the rows the PR itself adds;
- plausibility: numbers that contradict each other or the hardware (warnings by default).

Every rule's severity can be changed, or the rule turned off, with `[rules.severity]` in the config
(`manifest-missing` has its own key, `rules.manifest_missing`). Plausibility rules look only at the rows
the PR added or changed in value: old rows are not the PR's doing. Each plausibility message shows its
arithmetic, so a student can check it by hand.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from validator.config import RulesConfig
from validator.hardware import BYTES_PER_GB, find_gpu
from validator.metrics import metric_key
from validator.model import (
    MANIFEST_NAME,
    QUANTITY_FIELDS,
    Manifest,
    ManifestError,
    MarkdownDiff,
    Problem,
    Row,
    Severity,
    Table,
    TableDiff,
    row_key_part,
)
from validator.plural import FILE, LINE, ROW, plural_ru
from validator.problems import ProblemType, define
from validator.rule_codes import RULE_CODES
from validator.teams import NO_TEAM, TeamIdentity
from validator.units import format_number, format_quantity, mb

# --- ownership -------------------------------------------------------------------------------------

TEAM_UNKNOWN = define(
    "team-unknown",
    "warning",
    "the pull request's team is unknown: {why}; only the rows and files it adds count as its own",
    "команда pull request неизвестна: {why}; своими считаются только строки и файлы, которые он добавляет",
)
MANIFEST_MISSING = define(
    "manifest-missing",
    "error",
    "team {team!r} has no manifest {manifest} at the head commit, so only the rows this pull request adds "
    "are its own and none can be re-run; add this manifest (filled in from the pull request's rows)",
    "у команды {team!r} нет манифеста {manifest} в головном коммите: её строки — только добавленные этим "
    "pull request, и перезапустить их нельзя; добавьте этот манифест (заполнен по строкам pull request)",
)
#: One code for a broken bench.toml, whoever reads it (the diff's ownership rule, verify's discovery).
MANIFEST_INVALID = define(
    "manifest-invalid",
    "error",
    "the manifest is not valid: {reason}",
    "манифест некорректен: {reason}",
)
MANIFEST_TEAM_MISMATCH = define(
    "manifest-team-mismatch",
    "error",
    "the manifest says team {manifest_team!r}, but the pull request is team {team!r}'s",
    "в манифесте команда {manifest_team!r}, а pull request — команды {team!r}",
)
ROW_DECLARED_TWICE = define(
    "row-declared-twice",
    "error",
    "({model}, {method}) is already declared by team {other!r} in {other_path}: a (model, method) belongs "
    "to one team; name your own variant in the method cell",
    "({model}, {method}) уже объявлена командой {other!r} в {other_path}: пара (модель, метод) принадлежит "
    "одной команде; назовите свой вариант в ячейке метода",
)
README_REMOVED = define(
    "readme-removed",
    "error",
    "{readme}, the course's README with the comparison table, is deleted",
    "{readme}, README курса со сравнительной таблицей, удалён",
)
README_TEXT_CHANGED = define(
    "readme-text-changed",
    "error",
    "the course's text in {readme} changed outside the comparison table ({changes}, the first at line "
    "{first}); a team adds or edits only its rows of the table",
    "текст курса в {readme} изменён вне сравнительной таблицы ({changes}, первая — строка {first}); "
    "команда добавляет и правит только свои строки таблицы",
)
RESULTS_OUTSIDE_README = define(
    "results-outside-readme",
    "warning",
    "{file} holds {rows} of a comparison table (line {table_line}), but the course's table is {course}, and "
    "only that one is read: move the rows there",
    "в {file} {rows} сравнительной таблицы (строка {table_line}), но таблица курса — {course}, и читается "
    "только она: перенесите строки туда",
)
TABLE_REMOVED = define(
    "table-removed",
    "error",
    "the comparison table (line {base_line} of the base) is gone from the head",
    "сравнительная таблица (строка {base_line} базовой версии) удалена",
)
HEADER_CHANGED = define(
    "table-header-changed",
    "error",
    "the table's header was changed: {before} -> {after}; only rows may be added or edited",
    "изменена шапка таблицы: {before} -> {after}; можно только добавлять или править строки",
)
ROW_NOT_DECLARED = define(
    "row-not-declared",
    "error",
    "row ({model}, {method}) is added, but team {team!r} does not declare it in {manifest}",
    "добавлена строка ({model}, {method}), но команда {team!r} не объявляет её в {manifest}",
)
ROW_CHANGED_NOT_OWNED = define(
    "row-changed-not-owned",
    "error",
    "row ({model}, {method}) is not {owner}, but its {fields} changed",
    "строка ({model}, {method}) не {owner}, но в ней изменено: {fields}",
)
ROW_REFORMATTED_NOT_OWNED = define(
    "row-reformatted-not-owned",
    "warning",
    "row ({model}, {method}) is not {owner}, but the writing of its {fields} changed (same numbers)",
    "строка ({model}, {method}) не {owner}, но переписаны ячейки {fields} (числа те же)",
)
ROW_REMOVED_NOT_OWNED = define(
    "row-removed-not-owned",
    "error",
    "row ({model}, {method}) (line {base_line} of the base) was removed, but it is not {owner}",
    "удалена строка ({model}, {method}) (строка {base_line} базовой версии), но она не {owner}",
)
FILE_NOT_OWNED = define(
    "file-not-owned",
    "error",
    "this pull request {change} {file}, {whose}",
    "этот pull request {change} {file} — {whose}",
)
METHOD_NAMES_MODEL = define(
    "method-names-model",
    "warning",
    "the method cell `{method}` names the model, not a compression method: an original (uncompressed) "
    "row's method is `{original}`",
    "в ячейке метода `{method}` название модели, а не метода сжатия: у исходной (несжатой) модели метод "
    "— `{original}`",
)
# --- plausibility ----------------------------------------------------------------------------------

VRAM_BELOW_WEIGHTS = define(
    "vram-below-weights",
    "warning",
    "a GPU time is claimed ({speed}), but VRAM {vram} < {fraction} × weights {weights} = {limit} MB: "
    "the weights alone do not fit",
    "заявлено время на GPU ({speed}), но VRAM {vram} < {fraction} × размер весов {weights} = {limit} MB: "
    "одни только веса не помещаются",
)
RAM_BELOW_WEIGHTS = define(
    "ram-below-weights",
    "warning",
    "a CPU time is claimed ({speed}), but RAM {ram} < {fraction} × weights {weights} = {limit} MB",
    "заявлено время на CPU ({speed}), но RAM {ram} < {fraction} × размер весов {weights} = {limit} MB",
)
NO_ORIGINAL_ROW = define(
    "no-original-row",
    "warning",
    "compressed row ({model}, {method}) has no original row of the same model to compare with "
    "(method one of: {originals})",
    "у сжатой строки ({model}, {method}) нет строки исходной модели для сравнения "
    "(метод один из: {originals})",
)
SIZE_CONTRADICTS_METHOD = define(
    "size-contradicts-method",
    "warning",
    "{kind} weights should be {expected}; ±{tolerance}% is {low}–{high} MB, but the row says {weights} MB",
    "веса {kind} должны занимать {expected}; ±{tolerance}% это {low}–{high} MB, а в строке {weights} MB",
)
THROUGHPUT_ABOVE_ROOFLINE = define(
    "throughput-above-roofline",
    "warning",
    "{rate} tokens/s × {weights_gb} GB of weights = {needed} GB/s, above the {bandwidth} GB/s memory "
    "bandwidth of {gpu}: each token reads every weight once",
    "{rate} токенов/с × {weights_gb} GB весов = {needed} GB/s, больше пропускной способности памяти "
    "{gpu} ({bandwidth} GB/s): каждый токен читает все веса",
)
COPIED_NUMBERS = define(
    "copied-numbers",
    "warning",
    "row ({model}, {method}) repeats the numbers of line {other_line} ({other_model}, {other_method}) "
    "verbatim: {values}",
    "строка ({model}, {method}) дословно повторяет числа строки {other_line} "
    "({other_model}, {other_method}): {values}",
)
SPREAD_ABOVE_VALUE = define(
    "spread-above-value",
    "warning",
    "{field}: the spread {std} is larger than the value {value}",
    "{field}: разброс {std} больше самого значения {value}",
)

_TYPES: tuple[ProblemType, ...] = (
    TEAM_UNKNOWN,
    MANIFEST_MISSING,
    MANIFEST_INVALID,
    MANIFEST_TEAM_MISMATCH,
    ROW_DECLARED_TWICE,
    README_REMOVED,
    README_TEXT_CHANGED,
    RESULTS_OUTSIDE_README,
    TABLE_REMOVED,
    HEADER_CHANGED,
    ROW_NOT_DECLARED,
    ROW_CHANGED_NOT_OWNED,
    ROW_REFORMATTED_NOT_OWNED,
    ROW_REMOVED_NOT_OWNED,
    FILE_NOT_OWNED,
    METHOD_NAMES_MODEL,
    VRAM_BELOW_WEIGHTS,
    RAM_BELOW_WEIGHTS,
    NO_ORIGINAL_ROW,
    SIZE_CONTRADICTS_METHOD,
    THROUGHPUT_ABOVE_ROOFLINE,
    COPIED_NUMBERS,
    SPREAD_ABOVE_VALUE,
)
#: Every rule code -> its problem type; `[rules.severity]` keys must be among these.
RULES: dict[str, ProblemType] = {kind.code: kind for kind in _TYPES}
if set(RULES) != RULE_CODES:  # pragma: no cover - a programming error, caught by any test run
    raise RuntimeError(f"validator.rule_codes disagrees with the rules: {sorted(set(RULES) ^ RULE_CODES)}")


def manifest_problem(error: ManifestError, path: str) -> Problem:
    """A broken manifest as the one `manifest-invalid` problem, pointing into the manifest file."""
    return MANIFEST_INVALID.at(error.line, error.column, path=path, reason=error.message)


#: At most this many `file-not-owned` problems, one per file; the rest are counted in one more.
MAX_FILE_PROBLEMS = 20


def _num(value: float) -> str:
    """A computed number, rounded for reading (the inputs keep their full writing)."""
    return format_number(round(value, 2) if abs(value) >= 1 else float(f"{value:.3g}"))


def _method(row: Row) -> str:
    return row.method or ""


def _column(row: Row, field: str) -> int | None:
    source = row.source.get(field)
    return source.column if source else None


def _both(en: str, ru: str, name: str) -> dict[str, str]:
    """A clause that differs by language, as the `{name}` of a message (see `validator.problems`)."""
    return {f"{name}_en": en, f"{name}_ru": ru}


# --- what the rules know about the pull request -----------------------------------------------------


@dataclass(frozen=True)
class ChangedFile:
    """A file the pull request changed: git's status letter (`A`dded, `M`odified, `D`eleted...) and path."""

    status: str
    path: str


@dataclass(frozen=True)
class Declaration:
    """One `[[run]]` of a manifest at the head commit: the folder's team declares a (model, method)."""

    team: str
    path: str
    model: str
    method: str
    line: int | None
    #: Not declared by this manifest at the base: the pull request adds the declaration.
    new: bool

    @property
    def key(self) -> tuple[str, str]:
        return (row_key_part(self.model), row_key_part(self.method))


@dataclass(frozen=True)
class PullRequest:
    """What the rules know about a pull request besides its Markdown files."""

    team: TeamIdentity = NO_TEAM
    title: str | None = None
    #: The team's manifest at the head: read, unreadable (its error), or absent (None).
    manifest: Manifest | ManifestError | None = None
    #: Every file the pull request changed; empty when not known (an in-memory diff).
    files: tuple[ChangedFile, ...] = ()
    #: Every manifest declaration at the head, when the pull request changes a manifest.
    declarations: tuple[Declaration, ...] = ()
    #: The course's team file at the base, when it has one; files of other teams are told by it.
    teams_file: str | None = None
    #: Team name -> folder, for every team the course knows (team file) or has (submissions folder).
    team_folders: tuple[tuple[str, str], ...] = ()

    @property
    def manifest_path(self) -> str | None:
        return f"{self.team.folder}/{MANIFEST_NAME}" if self.team.folder else None


# --- team and manifest -----------------------------------------------------------------------------


def _why_unknown(pr: PullRequest, config: RulesConfig) -> dict[str, str]:
    team, title = pr.team, pr.title
    shown = None if title is None else (title if len(title) <= 120 else title[:120] + "…")
    if team.refused_title_team is not None:
        return _both(
            f"the title names team {team.refused_title_team!r}, but author {team.author!r} is not among its "
            f"members in {pr.teams_file}",
            f"заголовок называет команду {team.refused_title_team!r}, но автора {team.author!r} нет среди её "
            f"участников в {pr.teams_file}",
            "why",
        )
    if pr.teams_file is not None:
        author_en = (
            f"author {team.author!r} is in no team of {pr.teams_file}" if team.author else "no author given"
        )
        author_ru = (
            f"автора {team.author!r} нет ни в одной команде {pr.teams_file}"
            if team.author
            else "автор не задан"
        )
        title_en = f"the title {shown!r} names none of its teams" if shown is not None else "no title given"
        title_ru = (
            f"заголовок {shown!r} не называет ни одну из её команд"
            if shown is not None
            else "заголовок не задан"
        )
        return _both(f"{author_en}, and {title_en}", f"{author_ru}, а {title_ru}", "why")
    title_en = (
        f"the title {shown!r} does not name a team (`<team> HW-<n>`, e.g. `ml_masters HW-1`)"
        if shown is not None
        else "no title given (--title)"
    )
    title_ru = (
        f"заголовок {shown!r} не называет команду (`<команда> HW-<n>`, например `ml_masters HW-1`)"
        if shown is not None
        else "заголовок не задан (--title)"
    )
    return _both(
        f"the course has no team file ({config.teams_file}) and {title_en}",
        f"у курса нет файла команд ({config.teams_file}), а {title_ru}",
        "why",
    )


def _teams_entry(pr: PullRequest, config: RulesConfig) -> str | None:
    """The team file entry a maintainer adds for the author, when the author is known."""
    author = pr.team.author
    if author is None:
        return None
    name = pr.team.refused_title_team or "<team>"
    folder = f"{config.submissions_dir.strip('/')}/{name}"
    return (
        f"[teams.{name}]\nfolder = {json.dumps(folder, ensure_ascii=False)}\nmembers = [{json.dumps(author)}]"
    )


def team_problems(
    pr: PullRequest, rows_touched: bool, template: str | None, config: RulesConfig
) -> list[Problem]:
    """The team unknown, or its manifest missing, broken or naming another team.

    A PR that leaves the tables alone needs no manifest (its files are judged by their folder).
    """
    if not pr.team.known:
        if not (rows_touched or pr.files):
            return []
        return [TEAM_UNKNOWN.at(None, None, suggestion=_teams_entry(pr, config), **_why_unknown(pr, config))]
    team, where = pr.team.name, pr.manifest_path
    assert team is not None and where is not None
    manifest = pr.manifest
    if manifest is None:
        if not rows_touched or config.manifest_missing == "off":
            return []
        return [
            MANIFEST_MISSING.at(
                None,
                path=where,
                severity=config.manifest_missing,
                suggestion=template,
                manifest=where,
                team=team,
            )
        ]
    if isinstance(manifest, ManifestError):
        return [manifest_problem(manifest, where)]
    if row_key_part(manifest.team) != row_key_part(team):
        return [MANIFEST_TEAM_MISMATCH.at(None, path=where, manifest_team=manifest.team, team=team)]
    return []


def declaration_problems(pr: PullRequest) -> list[Problem]:
    """A (model, method) this pull request declares that another team's manifest already declares."""
    problems: list[Problem] = []
    for mine in pr.declarations:
        if not mine.new:
            continue
        other = next((d for d in pr.declarations if d.key == mine.key and d.path != mine.path), None)
        if other is not None:
            problems.append(
                ROW_DECLARED_TWICE.at(
                    mine.line,
                    None,
                    path=mine.path,
                    model=mine.model,
                    method=mine.method,
                    other=other.team,
                    other_path=other.path,
                )
            )
    return problems


# --- the README and its table ----------------------------------------------------------------------


def _headers(table: Table) -> list[str]:
    return [" ".join(header.casefold().split()) for header in table.headers]


def table_problems(diff: TableDiff) -> list[Problem]:
    """The table removed, or its header changed."""
    base, head = diff.base_table, diff.head_table
    if base is None:
        return []
    if head is None:
        return [TABLE_REMOVED.at(None, base_line=base.line)]
    if _headers(base) != _headers(head) or base.columns != head.columns:
        before = " | ".join(base.headers)
        after = " | ".join(head.headers)
        return [HEADER_CHANGED.at(head.line, 1, before=f"`{before}`", after=f"`{after}`")]
    return []


def _table_lines(lines: Sequence[str], tables: Iterable[Table]) -> set[int]:
    """0-based indexes of the lines that belong to a comparison table, with the heading right above it."""
    taken: set[int] = set()
    for table in tables:
        first = table.line - 1
        last = max([table.line + 1, *(row.line for row in table.rows)]) - 1
        taken.update(range(first, min(last, len(lines) - 1) + 1))
        above = first - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        if above >= 0 and lines[above].lstrip().startswith("#"):
            taken.update(range(above, first))
    return taken


def _line_changes(removed: int, added: int) -> dict[str, str]:
    """`3 lines removed, 1 line added`; `удалены 3 строки, добавлена 1 строка` (the verb agrees)."""
    en = [f"{LINE.count(n)} {verb}" for n, verb in ((removed, "removed"), (added, "added")) if n]
    ru = [
        f"{plural_ru(n, verbs)} {LINE.count(n, 'ru')}"
        for n, verbs in (
            (removed, ("удалена", "удалены", "удалено")),
            (added, ("добавлена", "добавлены", "добавлено")),
        )
        if n
    ]
    return _both(", ".join(en), ", ".join(ru), "changes")


def readme_text_problems(diff: MarkdownDiff) -> list[Problem]:
    """Lines of the README outside its comparison tables added, removed or edited (blank lines aside)."""
    if diff.base_lines is None or diff.head_lines is None:
        return []

    def outside(lines: Sequence[str], tables: Iterable[Table]) -> list[tuple[int, str]]:
        skip = _table_lines(lines, tables)
        return [(n, " ".join(text.split())) for n, text in enumerate(lines) if n not in skip and text.strip()]

    base = outside(diff.base_lines, [d.base_table for d in diff.tables if d.base_table is not None])
    head = outside(diff.head_lines, [d.head_table for d in diff.tables if d.head_table is not None])
    matcher = difflib.SequenceMatcher(None, [t for _, t in base], [t for _, t in head], autojunk=False)
    removed = added = 0
    first: int | None = None
    for op, b1, b2, h1, h2 in matcher.get_opcodes():
        if op == "equal":
            continue
        removed += b2 - b1
        added += h2 - h1
        if first is None:
            first = head[h1][0] + 1 if h1 < len(head) else (head[-1][0] + 2 if head else 1)
    if first is None:
        return []
    return [
        README_TEXT_CHANGED.at(
            first,
            None,
            readme=diff.path,
            first=first,
            **_line_changes(removed, added),
        )
    ]


def readme_problems(diff: MarkdownDiff) -> list[Problem]:
    """The README deleted, its tables removed or re-headed, its text outside the tables edited."""
    if diff.base_lines is not None and diff.head_lines is None:
        return [README_REMOVED.at(None, readme=diff.path)]
    problems = [problem for table in diff.tables for problem in table_problems(table)]
    return problems + readme_text_problems(diff)


def results_outside_problems(readme: MarkdownDiff, others: Sequence[MarkdownDiff]) -> list[Problem]:
    """Rows written into another Markdown file while the course's table got none."""
    if readme.added or readme.changed:
        return []
    course_table = next(
        (d.head_table or d.base_table for d in readme.tables if d.head_table or d.base_table), None
    )
    if course_table is not None:
        course = _both(
            f"in {readme.path} (line {course_table.line})",
            f"в {readme.path} (строка {course_table.line})",
            "course",
        )
    else:
        course = _both(
            f"in {readme.path}, which has none yet at this revision: add it there",
            f"в {readme.path}, где её пока нет в этой ревизии: добавьте её туда",
            "course",
        )
    problems: list[Problem] = []
    for other in others:
        rows = [*other.added, *(c.after for c in other.changed)]
        table = next((d.head_table for d in other.tables if d.head_table is not None), None)
        if not rows or table is None:
            continue
        problems.append(
            RESULTS_OUTSIDE_README.at(
                table.line,
                1,
                path=other.path,
                file=other.path,
                table_line=table.line,
                rows_en=ROW.count(len(rows)),
                rows_ru=ROW.count(len(rows), "ru"),
                **course,
            )
        )
    return problems


# --- rows ------------------------------------------------------------------------------------------


def is_template(row: Row, config: RulesConfig) -> bool:
    """The course's own placeholder row (`your model name`), which any team may replace."""
    return row_key_part(row.model) in {row_key_part(m) for m in config.template_models}


def _owner(pr: PullRequest) -> tuple[set[tuple[str, str]] | None, dict[str, str]]:
    """The keys the team declares (None: only rows the PR adds are its own), and how to say whose rows."""
    team, where, manifest = pr.team.name, pr.manifest_path, pr.manifest
    if team is not None and isinstance(manifest, Manifest):
        # A row this PR newly declares while another team's manifest declares it stays the other's.
        contested = {
            mine.key
            for mine in pr.declarations
            if mine.new
            and mine.path == where
            and any(d.key == mine.key and d.path != where for d in pr.declarations)
        }
        return {run.key for run in manifest.runs} - contested, _both(
            f"declared by team {team!r} in {where}", f"объявлена командой {team!r} в {where}", "owner"
        )
    if team is not None:
        return None, _both(
            f"one this pull request adds (team {team!r} has no valid manifest {where}, so only the rows "
            "it adds are its own)",
            f"добавлена этим pull request (у команды {team!r} нет корректного манифеста {where}, поэтому её "
            "строки — только те, что она добавляет)",
            "owner",
        )
    return None, _both(
        "one this pull request adds (the team is unknown, so only the rows it adds are its own)",
        "добавлена этим pull request (команда неизвестна, поэтому её строки — только те, что он добавляет)",
        "owner",
    )


def _close(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate `word` was most likely meant to be (`bert-large-ner` for `bert-larg-ner`), if any."""
    folded = {row_key_part(c): c for c in candidates}
    match = difflib.get_close_matches(row_key_part(word), list(folded), n=1, cutoff=0.85)
    return folded[match[0]] if match and match[0] != row_key_part(word) else None


def _did_you_mean(row: Row, manifest: Manifest) -> str | None:
    """For a row the manifest does not declare: the declared model or method it is closest to."""
    models = {run.model for run in manifest.runs}
    model = next((m for m in models if row_key_part(m) == row_key_part(row.model)), None)
    if model is None:
        return _close(row.model, models)
    return _close(
        _method(row), [run.method for run in manifest.runs if row_key_part(run.model) == row.key[0]]
    )


def row_ownership_problems(diffs: Sequence[TableDiff], pr: PullRequest, config: RulesConfig) -> list[Problem]:
    """Rows added, changed or removed that the PR's team does not own (see `_owner`)."""
    declared, owner = _owner(pr)
    manifest = pr.manifest if isinstance(pr.manifest, Manifest) else None
    problems: list[Problem] = []
    for diff in diffs:
        if declared is not None and manifest is not None:
            for row in diff.added:
                if row.key not in declared:
                    problems.append(
                        ROW_NOT_DECLARED.at(
                            row.line,
                            _column(row, "model"),
                            suggestion=_did_you_mean(row, manifest),
                            model=row.model,
                            method=_method(row),
                            team=pr.team.name,
                            manifest=pr.manifest_path,
                        )
                    )
        for change in diff.changed:
            row = change.after
            if (declared is not None and row.key in declared) or is_template(change.before, config):
                continue
            kind = ROW_REFORMATTED_NOT_OWNED if change.format_only else ROW_CHANGED_NOT_OWNED
            first = change.fields[0] if change.fields else "model"
            problems.append(
                kind.at(
                    row.line,
                    _column(row, first),
                    model=row.model,
                    method=_method(row),
                    team=pr.team.name or "",
                    fields=", ".join(change.fields),
                    **owner,
                )
            )
        for row in diff.removed:
            if (declared is not None and row.key in declared) or is_template(row, config):
                continue
            line = diff.head_table.line if diff.head_table else None
            problems.append(
                ROW_REMOVED_NOT_OWNED.at(
                    line,
                    None,
                    model=row.model,
                    method=_method(row),
                    team=pr.team.name or "",
                    base_line=row.line,
                    **owner,
                )
            )
    return problems


# --- files -----------------------------------------------------------------------------------------

_CHANGE = {
    "A": ("adds", "добавляет"),
    "D": ("deletes", "удаляет"),
}


def _whose(path: str, pr: PullRequest) -> dict[str, str] | None:
    """Why `path` is not the PR's to change, or None when it is."""
    owner = next(
        (name for name, folder in pr.team_folders if path == folder or path.startswith(folder + "/")), None
    )
    if pr.team.folder is not None:
        mine = pr.team.folder
        if path == mine or path.startswith(mine + "/"):
            return None
        if owner is not None:
            return _both(f"a file of team {owner!r}", f"файл команды {owner!r}", "whose")
        return _both(
            f"a course file outside the folder of team {pr.team.name!r} ({mine}/)",
            f"файл курса вне папки команды {pr.team.name!r} ({mine}/)",
            "whose",
        )
    if owner is not None:
        return _both(
            f"a file of team {owner!r} (this pull request's team is unknown)",
            f"файл команды {owner!r} (команда этого pull request неизвестна)",
            "whose",
        )
    return _both(
        "a file that is not its own (the team is unknown, so only the files it adds are its own)",
        "файл, который ему не принадлежит (команда неизвестна, поэтому его файлы — только добавленные им)",
        "whose",
    )


def file_problems(pr: PullRequest, readme: str, config: RulesConfig) -> list[Problem]:
    """Files changed outside the team's folder: another team's, or the course's (the README's rows aside)."""
    problems: list[Problem] = []
    refused: list[ChangedFile] = []
    for changed in pr.files:
        if changed.path == readme:
            continue  # judged row by row, and its text outside the table by `readme-text-changed`
        in_team_folder = any(
            changed.path == folder or changed.path.startswith(folder + "/") for _, folder in pr.team_folders
        )
        if not pr.team.known and changed.status == "A" and not in_team_folder:
            continue  # with no team known, what the PR adds is its own
        if changed.path == pr.teams_file or _whose(changed.path, pr) is not None:
            refused.append(changed)
    for changed in refused[:MAX_FILE_PROBLEMS]:
        whose = _whose(changed.path, pr) or _both("the course's team file", "файл команд курса", "whose")
        en, ru = _CHANGE.get(changed.status, ("modifies", "изменяет"))
        problems.append(
            FILE_NOT_OWNED.at(
                None, None, path=changed.path, file=changed.path, **_both(en, ru, "change"), **whose
            )
        )
    if len(refused) > MAX_FILE_PROBLEMS:
        more = len(refused) - MAX_FILE_PROBLEMS
        problems.append(
            FILE_NOT_OWNED.at(
                None,
                None,
                file_en=f"{more} more {FILE.word(more)}",
                **_both("changes", "изменяет", "change"),
                **_both(
                    "outside its team's folder, as above",
                    "вне папки своей команды, как и выше",
                    "whose",
                ),
                file_ru=f"ещё {FILE.count(more, 'ru')}",
            )
        )
    return problems


# --- plausibility ----------------------------------------------------------------------------------


def is_original(method: str | None, config: RulesConfig) -> bool:
    """`Оригинал`, `FP32 (Baseline)`: the method cell names the uncompressed model."""
    folded = row_key_part(method or "")
    return any(
        re.search(rf"(?<!\w){re.escape(row_key_part(word))}", folded) for word in config.original_methods
    )


# (pattern over the folded method, share of FP32 size, label); explicit bit widths before method names.
_METHOD_SHARES: tuple[tuple[re.Pattern[str], float, str, str], ...] = tuple(
    (re.compile(pattern), share, label, kind)
    for pattern, share, label, kind in (
        (r"(?<!\w)(?:int4|4[\s-]?bits?|nf4|fp4|q4\w*)(?!\w)", 1 / 8, "⅛", "4-bit"),
        (r"(?<!\w)(?:int8|qint8|8[\s-]?bits?|fp8|q8\w*)(?!\w)", 1 / 4, "¼", "INT8"),
        (r"(?<!\w)(?:fp16|float16|half|bf16|bfloat16|16[\s-]?bits?)(?!\w)", 1 / 2, "½", "FP16"),
        (r"(?<!\w)(?:gptq|awq|bnb4|bitsandbytes4)(?!\w)", 1 / 8, "⅛", "4-bit"),
    )
)


def method_share(method: str | None) -> tuple[float, str, str] | None:
    """The share of the FP32 size a method's weights take: (share, '¼', 'INT8'), None when unknown."""
    folded = row_key_part(method or "")
    for pattern, share, label, kind in _METHOD_SHARES:
        if pattern.search(folded):
            return share, label, kind
    return None


def _originals(rows: Sequence[Row], model: str, config: RulesConfig) -> list[Row]:
    key = row_key_part(model)
    return [r for r in rows if row_key_part(r.model) == key and is_original(r.method, config)]


#: Method words that name a compression or export method, never a model.
_METHOD_WORDS = re.compile(
    r"quant|prun|distil|дистил|квант|прун|clust|класт|onnx|torchscript|openvino|tensorrt|gguf|export|sparse|"
    r"lora|gptq|awq|int\d|fp\d|bf16"
)
_DISTILLATION = re.compile(r"distil|дистил")


def names_model(row: Row) -> bool:
    """`openai/whisper-small | Whisper`: the method cell holds (part of) the model's name, not a method."""
    method = row_key_part(_method(row))
    if not method or _METHOD_WORDS.search(method):
        return False
    model = row_key_part(row.model)
    words = {w for w in re.split(r"[\s/_\-.:()]+", model) if w}
    return method in (model, model.rsplit("/", 1)[-1]) or all(w in words for w in method.split())


def _numbers(row: Row) -> dict[str, float]:
    """The row's non-zero numbers by field (quality by metric), for spotting copies."""
    numbers: dict[str, float] = {}
    for field in QUANTITY_FIELDS:
        q = row.quantity(field)
        if q is not None and q.value != 0:
            numbers[field] = q.value
    for metric in row.quality:
        if metric.value != 0:
            numbers[f"quality:{metric_key(metric.name)}"] = metric.value
    return numbers


def _check_memory(row: Row, config: RulesConfig) -> Iterable[Problem]:
    weights = row.weights_size
    if weights is None or weights.value <= 0:
        return
    if row.gpu_speed is not None and row.gpu_speed.value > 0 and row.vram is not None:
        limit = config.vram_fraction_min * weights.value
        if row.vram.value < limit:
            yield VRAM_BELOW_WEIGHTS.at(
                row.line,
                _column(row, "vram"),
                speed=format_quantity(row.gpu_speed, with_std=False),
                vram=format_quantity(row.vram, with_std=False),
                fraction=_num(config.vram_fraction_min),
                weights=format_quantity(weights, with_std=False),
                limit=_num(limit),
            )
    if row.cpu_speed is not None and row.cpu_speed.value > 0 and row.ram is not None:
        limit = config.ram_fraction_min * weights.value
        if row.ram.value < limit:
            yield RAM_BELOW_WEIGHTS.at(
                row.line,
                _column(row, "ram"),
                speed=format_quantity(row.cpu_speed, with_std=False),
                ram=format_quantity(row.ram, with_std=False),
                fraction=_num(config.ram_fraction_min),
                weights=format_quantity(weights, with_std=False),
                limit=_num(limit),
            )


def _check_original(row: Row, rows: Sequence[Row], config: RulesConfig) -> Iterable[Problem]:
    if row.method is None or is_original(row.method, config):
        return  # a table without a method column cannot tell an original from a compressed row
    originals = _originals(rows, row.model, config)
    if not originals:
        others = [r for r in rows if is_original(r.method, config)]
        if _DISTILLATION.search(row_key_part(row.method)) and others:
            return  # a distilled student is compared with its teacher, a model of another name
        if names_model(row):
            original = config.original_methods[0] if config.original_methods else "Оригинал"
            yield METHOD_NAMES_MODEL.at(
                row.line, _column(row, "method"), suggestion=original, method=row.method, original=original
            )
            return
        yield NO_ORIGINAL_ROW.at(
            row.line,
            _column(row, "method"),
            suggestion=_close(row.model, [r.model for r in others]),
            model=row.model,
            method=_method(row),
            originals=", ".join(config.original_methods),
        )
        return
    yield from _check_size(row, originals, config)


def _check_size(row: Row, originals: Sequence[Row], config: RulesConfig) -> Iterable[Problem]:
    """A compressed row's weights against the share its method keeps of the original's.

    A cast (`.half()`) shrinks every weight. Quantization (INT8, 4-bit, GPTQ, AWQ) shrinks the weights of
    linear layers only: dynamic INT8 and weight-only methods keep embeddings, the LM head and norms in
    floating point, up to `float_fraction_max` of the parameters (52% for rubert-base-cased's 120k-word
    vocabulary). So its size lies between the share of the original and that fraction kept whole.
    """
    share = method_share(row.method)
    original = next((r.weights_size for r in originals if r.weights_size is not None), None)
    if share is None or original is None or row.weights_size is None or original.value <= 0:
        return
    fraction, label, kind = share
    size = original.value
    low = fraction * size
    if kind == "FP16":
        high = low
        expected = _both(
            f"about {label} of the original: {label} × {_num(size)} MB = {_num(low)} MB",
            f"около {label} исходных: {label} × {_num(size)} MB = {_num(low)} MB",
            "expected",
        )
    else:
        kept = config.float_fraction_max
        whole = kept + (1 - kept) * fraction
        high = whole * size
        expected = _both(
            f"between {label} × {_num(size)} MB = {_num(low)} MB (every weight quantized) and "
            f"{_num(whole)} × {_num(size)} MB = {_num(high)} MB (up to {_num(kept * 100)}% of the "
            f"parameters — embeddings, LM head — kept in floating point: {_num(kept)} + {_num(1 - kept)} × "
            f"{label} = {_num(whole)})",
            f"от {label} × {_num(size)} MB = {_num(low)} MB (квантизованы все веса) до {_num(whole)} × "
            f"{_num(size)} MB = {_num(high)} MB (до {_num(kept * 100)}% параметров — эмбеддинги, LM head — "
            f"остаются в плавающей точке: {_num(kept)} + {_num(1 - kept)} × {label} = {_num(whole)})",
            "expected",
        )
    low, high = low * (1 - config.size_tolerance), high * (1 + config.size_tolerance)
    if not low <= row.weights_size.value <= high:
        yield SIZE_CONTRADICTS_METHOD.at(
            row.line,
            _column(row, "weights_size"),
            kind=kind,
            tolerance=_num(config.size_tolerance * 100),
            low=_num(low),
            high=_num(high),
            weights=_num(row.weights_size.value),
            **expected,
        )


def _check_roofline(row: Row, config: RulesConfig) -> Iterable[Problem]:
    speed, weights = row.gpu_speed, row.weights_size
    if speed is None or weights is None or speed.value <= 0:
        return
    if speed.unit == "tokens/s":
        rate = speed.value
    elif speed.unit == "ms/token":
        rate = 1000.0 / speed.value
    else:
        return
    gpu = (
        find_gpu(speed.note, config.gpu_bandwidth_gbs)
        or find_gpu(" ".join(row.notes), config.gpu_bandwidth_gbs)
        or find_gpu(config.default_gpu, config.gpu_bandwidth_gbs)
    )
    if gpu is None:
        return
    weights_gb = weights.value / mb(1) / BYTES_PER_GB
    needed = rate * weights_gb
    if needed > gpu.bandwidth_gbs:
        yield THROUGHPUT_ABOVE_ROOFLINE.at(
            row.line,
            _column(row, "gpu_speed"),
            rate=_num(rate),
            weights_gb=format_number(round(weights_gb, 3)),
            needed=_num(needed),
            bandwidth=_num(gpu.bandwidth_gbs),
            gpu=gpu.name,
        )


def _check_copied(row: Row, rows: Sequence[Row], config: RulesConfig) -> Iterable[Problem]:
    mine = _numbers(row)
    if len(mine) < config.copied_min_values:
        return
    for other in rows:
        if other is row or row_key_part(other.model) == row_key_part(row.model):
            continue
        theirs = _numbers(other)
        shared = [name for name in mine if name in theirs]  # in the table's column order
        if len(shared) >= config.copied_min_values and all(mine[f] == theirs[f] for f in shared):
            values = ", ".join(
                f"{field.removeprefix('quality:')} {format_number(mine[field])}" for field in shared
            )
            yield COPIED_NUMBERS.at(
                row.line,
                _column(row, "model"),
                model=row.model,
                method=_method(row),
                other_line=other.line,
                other_model=other.model,
                other_method=_method(other),
                values=values,
            )
            return


def _check_spread(row: Row) -> Iterable[Problem]:
    for field in QUANTITY_FIELDS:
        q = row.quantity(field)
        if q is not None and q.std is not None and q.std > q.value:
            yield SPREAD_ABOVE_VALUE.at(
                row.line,
                _column(row, field),
                field=field,
                std=format_number(q.std),
                value=format_number(q.value),
            )
    for metric in row.quality:
        if metric.std is not None and metric.std > abs(metric.value):
            yield SPREAD_ABOVE_VALUE.at(
                row.line,
                _column(row, "quality"),
                field=metric.name,
                std=format_number(metric.std),
                value=format_number(metric.value),
            )


def plausibility_problems(rows: Sequence[Row], context: Sequence[Row], config: RulesConfig) -> list[Problem]:
    """Numbers in `rows` (the PR's new or changed rows) that are impossible on their face.

    `context` holds every row of the file's comparison tables: an original row may stand in another table.
    """
    problems: list[Problem] = []
    for row in rows:
        problems += _check_memory(row, config)
        problems += _check_original(row, context, config)
        problems += _check_roofline(row, config)
        problems += _check_copied(row, context, config)
        problems += _check_spread(row)
    return problems


def with_severities(problems: Iterable[Problem], config: RulesConfig) -> list[Problem]:
    """Apply `[rules.severity]`: a rule set to `off` is dropped, any other gets its configured severity."""
    result: list[Problem] = []
    for problem in problems:
        wanted = config.severity.get(problem.code)
        if wanted == "off":
            continue
        result.append(
            problem if wanted is None else problem.model_copy(update={"severity": Severity(wanted)})
        )
    return result


def _at(problems: Iterable[Problem], path: str) -> list[Problem]:
    """Problems of a file other than the report's README carry its path."""
    return [p if p.path else p.model_copy(update={"path": path}) for p in problems]


def apply_rules(
    readme: MarkdownDiff,
    pr: PullRequest,
    config: RulesConfig,
    *,
    others: Sequence[MarkdownDiff] = (),
    template: str | None = None,
) -> list[Problem]:
    """Every ownership and plausibility problem of a pull request, severities as configured.

    `readme` is the course README's diff, `others` the other Markdown files the PR changed (their rows are
    judged for plausibility and reported when the README got none); `template` is the manifest to suggest
    when the team has none.
    """
    rows_touched = bool(readme.added or readme.changed or readme.removed)
    problems = [
        *team_problems(pr, rows_touched, template, config),
        *declaration_problems(pr),
        *readme_problems(readme),
        *row_ownership_problems(readme.tables, pr, config),
        *file_problems(pr, readme.path, config),
        *results_outside_problems(readme, others),
    ]
    for diff in (readme, *others):
        rows = [*diff.added, *(c.after for c in diff.changed if not c.format_only)]
        context = [row for table in diff.tables if table.head_table for row in table.head_table.rows]
        found = plausibility_problems(rows, context, config)
        problems += found if diff is readme else _at(found, diff.path)
    return with_severities(problems, config)
