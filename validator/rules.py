"""What a pull request may change in the comparison table, and which numbers are impossible on their face.

Two families, each rule a problem type with a stable code:
- ownership: a PR adds, changes or removes only the rows its team's manifest declares, and leaves the
  table and its header alone (errors by default);
- plausibility: numbers that contradict each other or the hardware (warnings by default).

Every rule's severity can be changed, or the rule turned off, with `[rules.severity]` in the config.
Plausibility rules look only at the rows the PR added or changed in value: old rows are not the PR's doing.
Each plausibility message shows its arithmetic, so a student can check it by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from validator.config import RulesConfig
from validator.hardware import BYTES_PER_GB, find_gpu
from validator.metrics import metric_key
from validator.model import (
    QUANTITY_FIELDS,
    Manifest,
    ManifestError,
    Problem,
    Row,
    Severity,
    Table,
    TableDiff,
    row_key_part,
)
from validator.problems import ProblemType, define
from validator.rule_codes import RULE_CODES
from validator.units import format_number, format_quantity, mb

# --- ownership -------------------------------------------------------------------------------------

NO_TITLE = define(
    "ownership-unchecked",
    "warning",
    "no pull-request title given (--title): the team, and so which rows it may change, is unknown; "
    "ownership is not checked",
    "не задан заголовок pull request (--title): команда, а значит и строки, которые ей можно менять, "
    "неизвестны; принадлежность строк не проверена",
)
TITLE_NO_TEAM = define(
    "title-no-team",
    "error",
    "the title {title!r} does not name a team as the course asks (`<team> HW-<n>`, e.g. `ml_masters HW-1`)",
    "заголовок {title!r} не называет команду, как просит курс "
    "(`<команда> HW-<n>`, например `ml_masters HW-1`)",
)
MANIFEST_MISSING = define(
    "manifest-missing",
    "error",
    "team {team!r} has no manifest {manifest} at the head commit: no row can be attributed to it",
    "у команды {team!r} нет манифеста {manifest} в головном коммите: ни одна строка ей не принадлежит",
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
    "the manifest says team {manifest_team!r}, the title says {team!r}",
    "в манифесте команда {manifest_team!r}, а в заголовке {team!r}",
)
RUN_DECLARED_BY_OTHER = define(
    "run-declared-by-other-team",
    "error",
    "({model}, {method}) is already declared by team {owner}: a (model, method) is declared by one team "
    "only, and a manifest counts only for the team whose folder holds it",
    "({model}, {method}) уже объявлена командой {owner}: пару (модель, метод) объявляет только одна "
    "команда, а манифест действует только для команды, в чьей папке он лежит",
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
    "row ({model}, {method}) is not declared by team {team!r}, but its {fields} changed",
    "строка ({model}, {method}) не принадлежит команде {team!r}, но в ней изменено: {fields}",
)
ROW_REFORMATTED_NOT_OWNED = define(
    "row-reformatted-not-owned",
    "warning",
    "row ({model}, {method}) is not declared by team {team!r}, but the writing of its {fields} changed "
    "(same numbers)",
    "строка ({model}, {method}) не принадлежит команде {team!r}, но переписаны ячейки {fields} (числа те же)",
)
ROW_REMOVED_NOT_OWNED = define(
    "row-removed-not-owned",
    "error",
    "row ({model}, {method}) (line {base_line} of the base) was removed, "
    "but team {team!r} does not declare it",
    "удалена строка ({model}, {method}) (строка {base_line} базовой версии), но она не принадлежит "
    "команде {team!r}",
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
    "{kind} weights should be about {share} of the original: {share} × {original} MB = {expected} MB, "
    "±{tolerance}% is {low}–{high} MB, but the row says {weights} MB",
    "веса {kind} должны занимать около {share} исходных: {share} × {original} MB = {expected} MB, "
    "±{tolerance}% это {low}–{high} MB, а в строке {weights} MB",
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
    NO_TITLE,
    TITLE_NO_TEAM,
    MANIFEST_MISSING,
    MANIFEST_INVALID,
    MANIFEST_TEAM_MISMATCH,
    RUN_DECLARED_BY_OTHER,
    TABLE_REMOVED,
    HEADER_CHANGED,
    ROW_NOT_DECLARED,
    ROW_CHANGED_NOT_OWNED,
    ROW_REFORMATTED_NOT_OWNED,
    ROW_REMOVED_NOT_OWNED,
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


def _num(value: float) -> str:
    """A computed number, rounded for reading (the inputs keep their full writing)."""
    return format_number(round(value, 2) if abs(value) >= 1 else float(f"{value:.3g}"))


def _method(row: Row) -> str:
    return row.method or ""


def _column(row: Row, field: str) -> int | None:
    source = row.source.get(field)
    return source.column if source else None


# --- team and ownership ----------------------------------------------------------------------------


def team_from_title(title: str, config: RulesConfig) -> str | None:
    """The team a PR title names, or None; a name that could leave the submissions folder is refused."""
    match = re.search(config.title_pattern, title)
    if not match or not match.group("team"):
        return None
    team = match.group("team").strip()
    if team in ("", ".", "..") or any(char in team for char in "/\\\x00:"):
        return None
    return team


def manifest_path(team: str, config: RulesConfig) -> str:
    return f"{config.submissions_dir.strip('/')}/{team}/bench.toml"


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


def ownership_problems(
    diff: TableDiff,
    *,
    title: str | None,
    manifest: Manifest | ManifestError | None,
    config: RulesConfig,
    owners: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> list[Problem]:
    """Rows added, changed or removed that the PR's team does not declare.

    `manifest` is the team's manifest at the head commit: read, unreadable (its error) or absent (None).
    `owners`: (model, method) -> the teams whose manifest declares it at the base revision; a run
    another team declared first is not the PR team's, whatever its manifest says.
    """
    touched = bool(diff.added or diff.changed or diff.removed)
    if title is None:
        return [NO_TITLE.at(None)] if touched else []
    team = team_from_title(title, config)
    if team is None:
        shown = title if len(title) <= 120 else title[:120] + "…"
        return [TITLE_NO_TEAM.at(None, title=shown)]
    where = manifest_path(team, config)
    if not touched:
        return []  # a PR that leaves the table alone needs no manifest to be judged here
    if manifest is None:
        return [MANIFEST_MISSING.at(None, path=where, manifest=where, team=team)]
    if isinstance(manifest, ManifestError):
        return [manifest_problem(manifest, where)]
    problems: list[Problem] = []
    if row_key_part(manifest.team) != row_key_part(team):
        problems.append(MANIFEST_TEAM_MISMATCH.at(None, path=where, manifest_team=manifest.team, team=team))
    declared = {run.key for run in manifest.runs}
    for run in manifest.runs:
        others = [t for t in (owners or {}).get(run.key, []) if row_key_part(t) != row_key_part(team)]
        if others and len(others) == len((owners or {}).get(run.key, [])):
            declared.discard(run.key)
            problems.append(
                RUN_DECLARED_BY_OTHER.at(
                    run.line, None, path=where, model=run.model, method=run.method, owner=", ".join(others)
                )
            )
    for row in diff.added:
        if row.key not in declared:
            problems.append(
                ROW_NOT_DECLARED.at(
                    row.line,
                    _column(row, "model"),
                    model=row.model,
                    method=_method(row),
                    team=team,
                    manifest=where,
                )
            )
    for change in diff.changed:
        row = change.after
        if row.key in declared:
            continue
        kind = ROW_REFORMATTED_NOT_OWNED if change.format_only else ROW_CHANGED_NOT_OWNED
        first = change.fields[0] if change.fields else "model"
        problems.append(
            kind.at(
                row.line,
                _column(row, first),
                model=row.model,
                method=_method(row),
                team=team,
                fields=", ".join(change.fields),
            )
        )
    for row in diff.removed:
        if row.key not in declared:
            line = diff.head_table.line if diff.head_table else None
            problems.append(
                ROW_REMOVED_NOT_OWNED.at(
                    line, None, model=row.model, method=_method(row), team=team, base_line=row.line
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


def _originals(table: Table, model: str, config: RulesConfig) -> list[Row]:
    key = row_key_part(model)
    return [r for r in table.rows if row_key_part(r.model) == key and is_original(r.method, config)]


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


def _check_original(row: Row, table: Table, config: RulesConfig) -> Iterable[Problem]:
    if row.method is None or is_original(row.method, config):
        return  # a table without a method column cannot tell an original from a compressed row
    originals = _originals(table, row.model, config)
    if not originals:
        yield NO_ORIGINAL_ROW.at(
            row.line,
            _column(row, "method"),
            model=row.model,
            method=_method(row),
            originals=", ".join(config.original_methods),
        )
        return
    share = method_share(row.method)
    original = next((r.weights_size for r in originals if r.weights_size is not None), None)
    if share is None or original is None or row.weights_size is None or original.value <= 0:
        return
    fraction, label, kind = share
    expected = fraction * original.value
    low, high = expected * (1 - config.size_tolerance), expected * (1 + config.size_tolerance)
    if not low <= row.weights_size.value <= high:
        yield SIZE_CONTRADICTS_METHOD.at(
            row.line,
            _column(row, "weights_size"),
            kind=kind,
            share=label,
            original=_num(original.value),
            expected=_num(expected),
            tolerance=_num(config.size_tolerance * 100),
            low=_num(low),
            high=_num(high),
            weights=_num(row.weights_size.value),
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


def _check_copied(row: Row, table: Table, config: RulesConfig) -> Iterable[Problem]:
    mine = _numbers(row)
    if len(mine) < config.copied_min_values:
        return
    for other in table.rows:
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


def plausibility_problems(rows: Sequence[Row], table: Table, config: RulesConfig) -> list[Problem]:
    """Numbers in `rows` (the PR's new or changed rows) that are impossible on their face."""
    problems: list[Problem] = []
    for row in rows:
        problems += _check_memory(row, config)
        problems += _check_original(row, table, config)
        problems += _check_roofline(row, config)
        problems += _check_copied(row, table, config)
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


def apply_rules(
    diff: TableDiff,
    *,
    title: str | None,
    manifest: Manifest | ManifestError | None,
    config: RulesConfig,
    owners: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> list[Problem]:
    """Every ownership and plausibility problem of a table diff, severities as configured."""
    touched = [*diff.added, *(c.after for c in diff.changed if not c.format_only)]
    problems = [
        *table_problems(diff),
        *ownership_problems(diff, title=title, manifest=manifest, config=config, owners=owners),
    ]
    if diff.head_table is not None:
        problems += plausibility_problems(touched, diff.head_table, config)
    return with_severities(problems, config)
