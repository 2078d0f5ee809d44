"""`validator verify`: re-run the declared submission of each new or changed row, and judge every claim.

Two entry points share one core: `verify_pull_request` (a base and a head revision: the rows the PR
adds or changes) and `verify_readme` (no git: every row that a manifest declares, for a maintainer
auditing the whole table). Each declared run is executed once, even when a ratio check needs the
team's original row too.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.manifest import load_manifest
from validator.check import check_file
from validator.compare import check_ratios, check_row, settle_judged_by
from validator.config import Config
from validator.errors import ValidatorError
from validator.model import (
    MANIFEST_NAME,
    QUANTITY_FIELDS,
    Check,
    Device,
    Environment,
    Manifest,
    ManifestError,
    Metric,
    Problem,
    Quantity,
    RatioCheck,
    Row,
    RowVerification,
    RunResult,
    RunSpec,
    Table,
    VerifyReport,
    row_key_part,
)
from validator.problems import define, sort_key
from validator.reading import format_metric
from validator.reporters.words import field_name, note_text
from validator.rules import MANIFEST_INVALID, MANIFEST_TEAM_MISMATCH, ROW_DECLARED_TWICE, manifest_problem
from validator.rules import is_original as original_method
from validator.units import format_number, format_quantity

#: Significant digits of a measured number written into a corrected row (a README cell to paste).
MEASURED_DIGITS = 4
#: ... and in a message of the report (the JSON's checks keep full precision).
REPORT_DIGITS = 3

ROW_NO_MANIFEST = define(
    "row-no-manifest",
    "error",
    "no submission declares the row ({model}, {method}): add a [[run]] with this model and method to "
    "{folder}/<team>/bench.toml so it can be re-run",
    "ни одна посылка не объявляет строку ({model}, {method}): добавьте [[run]] с этой моделью и методом "
    "в {folder}/<команда>/bench.toml, чтобы её можно было перезапустить",
)
RUN_FAILED = define(
    "run-failed",
    "error",
    "the re-run of ({model}, {method}) ended as `{status}`: {error}",
    "перезапуск ({model}, {method}) завершился со статусом `{status}`: {error}",
)
CLAIM_MISMATCH = define(
    "claim-mismatch",
    "error",
    "({model}, {method}) claims {field} = {claimed}, the re-run measured {verified} ({note})",
    "({model}, {method}): в заявке {field} = {claimed}, перезапуск показал {verified} ({note})",
)
WEIGHTS_NOT_OPENED = define(
    "weights-not-opened",
    "error",
    "({model}, {method}) declares the weights {files}, but the re-run never opened them: the weights "
    "size must be what the code loads",
    "({model}, {method}) объявляет веса {files}, но перезапуск их ни разу не открыл: размер весов должен "
    "быть тем, что загружает код",
)
UNDECLARED_FILES = define(
    "undeclared-large-files",
    "warning",
    "the folder of ({model}, {method}) holds large files its manifest does not declare: {files}; declare "
    "the weights the code loads (`weights = ...`)",
    "в папке ({model}, {method}) есть большие файлы, не объявленные в манифесте: {files}; объявите веса, "
    "которые загружает код (`weights = ...`)",
)
TEAM_DATA = define(
    "measured-on-team-data",
    "warning",
    "({model}, {method}) was measured on the team's own data: the course has no eval set for the task "
    "`{task}`, and a team's code can carry the answers to its own data",
    "({model}, {method}) измерена на данных самой команды: у курса нет набора для задачи `{task}`, а код "
    "команды может содержать ответы на собственные данные",
)
RUN_UNPROTECTED = define(
    "run-unprotected",
    "error",
    "({model}, {method}) was re-run without the sandbox ({reason}): its code could reach the judge, so "
    "its numbers cannot be trusted; install bubblewrap, or set [bench] allow_unprotected = true for "
    "local use",
    "({model}, {method}) перезапущена без песочницы ({reason}): её код мог влиять на проверяющего, "
    "поэтому её числам нельзя доверять; установите bubblewrap или задайте [bench] allow_unprotected = "
    "true для локального запуска",
)


ORIGINAL_BY_TEAM = define(
    "original-run-by-team",
    "warning",
    "the course runs original rows with its reference loader, but ({model}, {method}) declares no hub "
    "model (`hub = [...]` with a pinned revision), so its team's own code ran: the ratios over it compare "
    "against a baseline the team wrote",
    "курс запускает исходные строки своим эталонным загрузчиком, но ({model}, {method}) не объявляет "
    "модель с хаба (`hub = [...]` с закреплённой ревизией), поэтому запущен код самой команды: "
    "отношения к ней сравниваются с базой, которую написала команда",
)
RUN_OVER_BUDGET = define(
    "run-over-time-budget",
    "warning",
    "({model}, {method}) was not verified: one call takes about {estimate} s, and even the minimum of "
    "timed calls (about {needed} s) cannot fit the {timeout} s timeout; a maintainer can re-run it on "
    "a GPU with the `{label}` label, or the team can declare a smaller data set",
    "({model}, {method}) не проверена: один вызов занимает около {estimate} с, и даже минимум замеров "
    "(около {needed} с) не помещается в лимит {timeout} с; сопровождающий может перезапустить её на GPU "
    "меткой `{label}`, или команда может объявить набор данных поменьше",
)
WEIGHTS_OVER_MEMORY = define(
    "weights-over-memory-cap",
    "warning",
    "({model}, {method}) was not verified: its declared weights need about {needed} MB to load, over "
    "this runner's {cap} MB memory cap, so it was not started; a maintainer can re-run it on a larger "
    "runner or a GPU with the `{label}` label",
    "({model}, {method}) не проверена: объявленным весам нужно около {needed} МБ, больше предела памяти "
    "этой машины ({cap} МБ), поэтому она не запускалась; сопровождающий может перезапустить её на "
    "машине побольше или на GPU меткой `{label}`",
)
ROW_GPU_ONLY = define(
    "row-gpu-only",
    "warning",
    "({model}, {method}) claims no CPU number, so it was not run on the CPU runner; a maintainer can "
    "re-run it on a GPU with the `{label}` label",
    "({model}, {method}) не заявляет чисел для CPU, поэтому на CPU не запускалась; сопровождающий может "
    "перезапустить её на GPU меткой `{label}`",
)


class WorkTreeIsNotAtHead(ValidatorError):
    """The submissions on disk are not the head revision's: running them would verify other code."""


#: Runs one declared submission; the harness by default, a fake in tests of this module's logic.
Runner = Callable[[Manifest, RunSpec, Device, Config], RunResult]


def harness_runner(manifest: Manifest, run: RunSpec, device: Device, config: Config) -> RunResult:
    from bench.runner import run_submission  # the harness pulls in psutil and friends: only here

    return run_submission(
        manifest, run, device=device, config=config.bench, reference=uses_reference(run, config)
    )


def uses_reference(run: RunSpec, config: Config) -> bool:
    """Whether the course runs this row with its reference loader: an original row declaring a hub
    model, under `[bench] reference_original`."""
    return (
        config.bench.reference_original
        and is_original(run.method, config)
        and any(a.kind == "model" for a in run.hub)
    )


def harness_environment(device: Device, config: Config) -> Environment:
    from bench.trackers.environment import collect_environment

    return collect_environment(
        device, threads=config.bench.threads, memory_limit_mb=config.bench.memory_limit_mb
    )


def harness_fetch(runs: Sequence[RunSpec], config: Config, progress: Callable[[str], None] | None) -> None:
    """The hub artifacts of every run, fetched once before any student code starts (`bench.hub`);
    a failure becomes its run's error when the run comes."""
    if not any(run.hub for run in runs):
        return
    from bench.hub import fetch_all

    if progress:
        progress("fetching the declared hub artifacts")
    fetch_all(runs, config.bench.hub_cache)


def is_original(method: str | None, config: Config) -> bool:
    """`Оригинал`, `Original`, `FP32 (Baseline)`...: the uncompressed row a ratio is taken over."""
    return original_method(method, config.rules)


@dataclass
class Submissions:
    """Every manifest of the course that counts, one declaration per (model, method), and the problems."""

    manifests: list[Manifest]
    problems: list[Problem]
    #: (model, method) -> the one manifest and run that declares it.
    runs: dict[tuple[str, str], tuple[Manifest, RunSpec]] = dataclasses.field(default_factory=dict)

    def find(self, row: Row) -> tuple[Manifest, RunSpec] | None:
        return self.runs.get(row.key)


def discover_submissions(
    root: Path,
    config: Config,
    *,
    team: str | None = None,
    owners: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> Submissions:
    """The manifests under `submissions/<team>/bench.toml`, and who declares each (model, method).

    A manifest counts only for the team whose folder holds it. A (model, method) has one declaration:
    one that another team made first (`owners`: the declarations at the base revision) is refused; of
    several left, the one of the pull request's `team` counts, and without one none does.
    """
    folder = root / config.rules.submissions_dir
    manifests: list[Manifest] = []
    problems: list[Problem] = []
    declared: dict[tuple[str, str], list[tuple[Manifest, RunSpec]]] = {}
    for path in sorted(folder.glob(f"*/{MANIFEST_NAME}")) if folder.is_dir() else []:
        where = str(path.relative_to(root))
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            problems.append(manifest_problem(exc, path.relative_to(root).as_posix()))
            continue
        owner = path.parent.name
        if row_key_part(manifest.team) != row_key_part(owner):
            problems.append(
                MANIFEST_TEAM_MISMATCH.at(None, path=where, manifest_team=manifest.team, team=owner)
            )
            continue
        manifests.append(manifest)
        for run in manifest.runs:
            earlier = [t for t in (owners or {}).get(run.key, []) if row_key_part(t) != row_key_part(owner)]
            if earlier and len(earlier) == len((owners or {}).get(run.key, [])):
                problems.append(
                    ROW_DECLARED_TWICE.at(
                        run.line,
                        None,
                        path=where,
                        model=run.model,
                        method=run.method,
                        other=", ".join(earlier),
                        other_path=f"{config.rules.submissions_dir}/{earlier[0]}/{MANIFEST_NAME}",
                    )
                )
                continue
            declared.setdefault(run.key, []).append((manifest, run))
    runs: dict[tuple[str, str], tuple[Manifest, RunSpec]] = {}
    for key, found in declared.items():
        if len(found) == 1:
            runs[key] = found[0]
            continue
        mine = [f for f in found if team is not None and row_key_part(f[0].team) == row_key_part(team)]
        if mine:
            runs[key] = mine[0]
        for manifest, run in found:
            if mine and manifest is mine[0][0]:
                continue
            others = [m for m, _ in found if m is not manifest]
            problems.append(
                ROW_DECLARED_TWICE.at(
                    run.line,
                    None,
                    severity="warning" if mine else None,
                    path=f"{config.rules.submissions_dir}/{manifest.folder.name}/{MANIFEST_NAME}",
                    model=run.model,
                    method=run.method,
                    other=", ".join(m.team for m in others),
                    other_path=f"{config.rules.submissions_dir}/{others[0].folder.name}/{MANIFEST_NAME}",
                )
            )
    return Submissions(manifests, problems, runs)


def _declared_by(submissions: Submissions, row: Row) -> str | None:
    found = submissions.find(row)
    return found[0].team if found else None


def corrected_row(table: Table, row: Row, checks: Sequence[Check]) -> str:
    """The row in the course format with mismatches corrected and missing numbers filled in.

    Numbers that were verified, or that cannot be checked here, stay as the team wrote them.
    """
    replace = {c.field: c.verified for c in checks if c.verdict == "mismatch" or c.claimed is None}
    cells: list[str] = []
    quality_done = False
    for index, field in enumerate(table.columns):
        source = row.source.get(field) if field else None
        text = source.text if source else ""
        if field in QUANTITY_FIELDS:
            value = replace.get(field)
            if isinstance(value, Quantity):
                text = format_quantity(value, significant=MEASURED_DIGITS)
        elif field == "quality" and not quality_done:
            quality_done = True
            metrics = []
            for claim in row.quality:
                value = replace.get(f"quality.{claim.name}")
                metric = value if isinstance(value, Metric) else claim
                digits = MEASURED_DIGITS if isinstance(value, Metric) else None
                metrics.append(format_metric(metric.model_copy(update={"name": claim.name}), digits))
            claimed = {f"quality.{m.name}" for m in row.quality}
            for key, value in replace.items():
                if key.startswith("quality.") and key not in claimed and isinstance(value, Metric):
                    metrics.append(format_metric(value, MEASURED_DIGITS))
            text = "<br>".join(metrics) if metrics else text
        elif field is None and index < len(table.headers):
            note = next((n for n in row.notes if n.startswith(f"{table.headers[index]}: ")), None)
            text = note.split(": ", 1)[1] if note else ""
        cells.append(" ".join(text.split()).replace("|", "\\|"))
    return "| " + " | ".join(cells) + " |"


def _plan(
    targets: Sequence[Row], all_rows: Sequence[Row], submissions: Submissions, config: Config
) -> list[tuple[Row, Manifest, RunSpec]]:
    """The runs to execute: each target row, plus its model's original row for the ratio checks."""
    plan: list[tuple[Row, Manifest, RunSpec]] = []
    seen: set[tuple[str, tuple[str, str]]] = set()
    wanted = list(targets)
    for row in targets:
        if is_original(row.method, config):
            continue
        original = next(
            (r for r in all_rows if r.key[0] == row.key[0] and is_original(r.method, config)), None
        )
        if original is not None:
            wanted.append(original)
    for row in wanted:
        found = submissions.find(row)
        if found is None:
            continue
        manifest, run = found
        key = (manifest.team, run.key)
        if key not in seen:
            seen.add(key)
            plan.append((row, manifest, run))
    return plan


def verify_rows(
    targets: Sequence[Row],
    table: Table,
    root: Path,
    *,
    device: Device,
    config: Config,
    problems: Sequence[Problem] = (),
    runner: Runner = harness_runner,
    environment: Environment | None = None,
    progress: Callable[[str], None] | None = None,
    team: str | None = None,
    owners: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> VerifyReport:
    """Re-run and judge the target rows of a table whose course repository is at `root`.

    Each declared run happens once. A ratio that disagrees is confirmed before it is reported: the
    original and the compressed run are re-run alternately `compare.confirm_runs` more times and the
    median of each is judged, so one slow second on a shared runner cannot fail an honest row, and
    an honest PR costs no extra runs.
    """
    submissions = discover_submissions(root, config, team=team, owners=owners)
    plan = _plan(targets, table.rows, submissions, config)
    runs: dict[tuple[str, str], list[RunResult]] = {}
    if plan:
        # Everything the judge needs after the runs is loaded before the first one (see prepare_judge).
        environment = environment or harness_environment(device, config)
        _prepare_reports()
        if runner is harness_runner:
            harness_fetch([run for _, _, run in plan], config, progress)

    def execute(keys: set[tuple[str, str]] | None = None) -> None:
        for row, manifest, run in plan:
            if keys is None or row.key in keys:
                if device == "cpu" and is_gpu_only(row):
                    runs.setdefault(row.key, []).append(_gpu_only(run, manifest))
                    continue
                if progress:
                    progress(f"running {manifest.team}: {run.model} · {run.method}")
                runs.setdefault(row.key, []).append(runner(manifest, run, device, config))

    execute()
    judged = _judge(targets, table, _medians(runs), device=device, config=config, environment=environment)
    doubtful = _doubtful_keys(judged.ratios, table, config)
    if doubtful and config.compare.confirm_runs > 0:
        for _ in range(config.compare.confirm_runs):
            execute(doubtful)  # alternating: original, compressed, original, compressed...
        judged = _judge(targets, table, _medians(runs), device=device, config=config, environment=environment)
    # The diff already reported the team's broken manifest: one problem per broken bench.toml.
    reported = {p.path for p in problems if p.code == MANIFEST_INVALID.code}
    found = [
        *problems,
        *(p for p in submissions.problems if p.path not in reported),
        *judged.problems,
        *_unprotected(plan, runs, config),
        *_file_problems(plan, runs, config),
    ]
    # diff and discovery may both report a manifest's problem: keep one of each
    found = list({(p.code, p.path, p.line, p.message): p for p in found}.values())
    mismatched = any(r.verdict == "mismatch" for r in judged.ratios) or any(
        c.verdict == "mismatch" for r in judged.rows for c in r.checks
    )
    errors = any(p.severity.value == "error" for p in found)
    return VerifyReport(
        verdict="fail" if mismatched or errors else "pass",
        device=device,
        rows=judged.rows,
        ratios=judged.ratios,
        problems=sorted(found, key=sort_key),
        environment=environment or harness_environment(device, config),
    )


def is_gpu_only(row: Row) -> bool:
    """A row that claims GPU numbers and no CPU speed (its CPU cell empty or `--`): not for a CPU run."""
    return row.cpu_speed is None and (row.gpu_speed is not None or row.vram is not None)


def _gpu_only(run: RunSpec, manifest: Manifest) -> RunResult:
    return RunResult(
        model=run.model,
        method=run.method,
        status="skipped",
        team=manifest.team,
        skip_reason="gpu-only",
        error="the row claims no CPU number: not run on the CPU runner",
    )


def _skipped_problem(row: Row, result: RunResult, config: Config) -> Problem:
    """Why a row was skipped, as a warning: the row is not verified, and the PR is not failed for it."""
    where = {"model": row.model, "method": row.method or "-", "label": config.github.gpu_label}
    if result.skip_reason == "memory":
        return WEIGHTS_OVER_MEMORY.at(
            row.line,
            1,
            needed=format_number(result.needed_mb or 0, 3),
            cap=result.memory_limit_mb or "?",
            **where,
        )
    if result.skip_reason == "gpu-only":
        return ROW_GPU_ONLY.at(row.line, 1, **where)
    return RUN_OVER_BUDGET.at(
        row.line,
        1,
        estimate=format_number(result.estimate_s or 0, 3),
        needed=format_number(result.needed_s or 0, 3),
        timeout=format_number(config.bench.timeout_s),
        **where,
    )


def _unprotected(
    plan: Sequence[tuple[Row, Manifest, RunSpec]],
    runs: dict[tuple[str, str], list[RunResult]],
    config: Config,
) -> list[Problem]:
    """One problem per row whose run had no sandbox: an error unless the course allows it."""
    from bench.sandbox import find_sandbox

    found = []
    for row, _, _ in plan:
        if any(r.sandbox == "none" for r in runs.get(row.key, [])):
            reason = find_sandbox(config.bench.sandbox).reason or "no sandbox"
            found.append(
                RUN_UNPROTECTED.at(
                    row.line,
                    1,
                    severity="warning" if config.bench.allow_unprotected else None,
                    model=row.model,
                    method=row.method or "-",
                    reason=reason.rstrip("."),
                )
            )
    return found


def _file_problems(
    plan: Sequence[tuple[Row, Manifest, RunSpec]],
    runs: dict[tuple[str, str], list[RunResult]],
    config: Config,
) -> list[Problem]:
    """Declared weights the run never opened (an error), large undeclared files and rows measured
    on the team's own data where the course has eval sets (warnings)."""
    found = []
    for row, _, spec in plan:
        result = next(iter(runs.get(row.key, [])), None)
        if result is None:
            continue
        where = {"model": row.model, "method": row.method or "-"}
        if result.weights_unopened:
            files = ", ".join(f"`{f}`" for f in result.weights_unopened)
            found.append(WEIGHTS_NOT_OPENED.at(row.line, 1, files=files, **where))
        if result.data_source == "team" and config.bench.eval_sets:
            found.append(TEAM_DATA.at(row.line, 1, task=spec.task, **where))
        if (
            config.bench.reference_original
            and is_original(row.method, config)
            and not result.reference_loader
        ):
            found.append(ORIGINAL_BY_TEAM.at(row.line, 1, **where))
        if result.undeclared_files:
            shown = ", ".join(f"`{f}`" for f in result.undeclared_files[:5])
            more = len(result.undeclared_files) - 5
            found.append(
                UNDECLARED_FILES.at(row.line, 1, files=shown + (f" (+{more})" if more > 0 else ""), **where)
            )
    return found


def _prepare_reports() -> None:
    """Import what renders the report (and what git and pydantic load lazily) before any child runs."""
    from validator.reporters import verify as reporter

    VerifyReport(verdict="pass").model_dump_json()
    reporter.render_markdown(VerifyReport(verdict="pass"), "en")
    reporter.render_markdown(VerifyReport(verdict="fail"), "ru")
    reporter.render_text(VerifyReport(verdict="fail"), "ru")


def _medians(runs: dict[tuple[str, str], list[RunResult]]) -> dict[tuple[str, str], RunResult]:
    """One result per run: the first, or with several successful runs the median of each number."""
    combined: dict[tuple[str, str], RunResult] = {}
    for key, results in runs.items():
        ok = [r for r in results if r.status == "ok"]
        if len(ok) < 2:
            combined[key] = ok[0] if ok else results[0]
            continue
        update: dict[str, Quantity | None] = {}
        for field in ("cpu_speed", "gpu_speed", "ram", "vram"):
            values = [q for r in ok if (q := r.quantity(field)) is not None]
            if len(values) == len(ok):
                middle = sorted(values, key=lambda q: q.value)[len(values) // 2]
                update[field] = middle
        combined[key] = ok[0].model_copy(update=update)
    return combined


def _doubtful_keys(ratios: Sequence[RatioCheck], table: Table, config: Config) -> set[tuple[str, str]]:
    """The runs behind each mismatched ratio: the compressed row and its original."""
    keys: set[tuple[str, str]] = set()
    for ratio in ratios:
        if ratio.verdict != "mismatch":
            continue
        for row in table.rows:
            same_model = row.key[0] == row_key_part(ratio.model)
            if same_model and (row.key[1] == row_key_part(ratio.method) or is_original(row.method, config)):
                keys.add(row.key)
    return keys


@dataclass
class _Judged:
    rows: list[RowVerification]
    ratios: list[RatioCheck]
    problems: list[Problem]


def _judge(
    targets: Sequence[Row],
    table: Table,
    results: dict[tuple[str, str], RunResult],
    *,
    device: Device,
    config: Config,
    environment: Environment | None = None,
) -> _Judged:
    """Every claim of the target rows against the runs' results, and the ratios over originals.

    A skipped run (it could not fit the runner, or the row is GPU-only on a CPU runner) leaves its
    row neutral: `skipped`, with a warning that says why and how to have it verified.
    """
    found: list[Problem] = []
    verified_rows: list[RowVerification] = []
    pairs: list[tuple[Row, RunResult]] = []
    for row in targets:
        result = results.get(row.key)
        if result is None:
            found.append(
                ROW_NO_MANIFEST.at(
                    row.line,
                    1,
                    model=row.model,
                    method=row.method or "-",
                    folder=config.rules.submissions_dir,
                )
            )
            verified_rows.append(
                RowVerification(line=row.line, model=row.model, method=row.method, status="no-manifest")
            )
            continue
        if result.status == "skipped":
            found.append(_skipped_problem(row, result, config))
            verified_rows.append(
                RowVerification(line=row.line, model=row.model, method=row.method, status="skipped")
            )
            continue
        if result.status != "ok":
            error = (result.error or "").strip().splitlines()
            found.append(
                RUN_FAILED.at(
                    row.line,
                    1,
                    model=row.model,
                    method=row.method or "-",
                    status=result.status,
                    error=error[-1] if error else "no message",
                )
            )
            verified_rows.append(
                RowVerification(
                    line=row.line,
                    model=row.model,
                    method=row.method,
                    status=result.status,
                    log_tail=_log_tail(result),
                )
            )
            continue
        checks = check_row(row, result, config.compare, environment)
        for check in checks:
            if check.verdict == "mismatch":
                found.append(
                    CLAIM_MISMATCH.at(
                        row.line,
                        row.source[check.field].column if check.field in row.source else 1,
                        model=row.model,
                        method=row.method or "-",
                        field=check.field,
                        field_ru=field_name(check.field, "ru"),
                        claimed=_shown(check.claimed),
                        verified=_shown(check.verified, REPORT_DIGITS),
                        note=check.note,
                        note_ru=note_text(check.note, "ru"),
                    )
                )
        pairs.append((row, result))
        verified_rows.append(
            RowVerification(
                line=row.line,
                model=row.model,
                method=row.method,
                status="ok",
                checks=checks,
                reference_loader=result.reference_loader,
                timed_calls=result.timed_calls,
                passes=result.repeats,
                passes_declared=config.bench.repeats,
            )
        )
    for row in table.rows:  # originals run only for the ratios still belong in them
        if row.key in results and all(row is not r for r, _ in pairs) and results[row.key].status == "ok":
            pairs.append((row, results[row.key]))
    ratios = check_ratios(pairs, lambda method: is_original(method, config), config.compare, device)
    baselines = {(row.key[0], row.key[1]): run.reference_loader for row, run in pairs if run.reference_loader}
    ratios = [
        r.model_copy(
            update={
                "baseline_reference": baselines.get((row_key_part(r.model), row_key_part(r.baseline_method)))
            }
        )
        for r in ratios
    ]
    by_key = {row.key: row for row in targets}
    settled = []
    for verification in verified_rows:
        target = by_key.get((row_key_part(verification.model), row_key_part(verification.method or "")))
        if target is not None and verification.checks:
            # The row to paste once the ratios have judged what the runner's hardware could not.
            checks = settle_judged_by(verification.checks, ratios, target)
            verification = verification.model_copy(
                update={"checks": checks, "corrected_row": corrected_row(table, target, checks)}
            )
        settled.append(verification)
    return _Judged(settled, ratios, found)


def _shown(value: Quantity | Metric | None, digits: int | None = None) -> str:
    """A number for a message: a claim as written, a measurement in `digits` significant digits."""
    if isinstance(value, Quantity):
        return format_quantity(value, significant=digits)
    if isinstance(value, Metric):
        return format_metric(value, digits)
    return "-"


def _log_tail(result: RunResult, lines: int = 40) -> str | None:
    text = "\n".join(part for part in (result.error, result.log_tail) if part)
    return "\n".join(text.splitlines()[-lines:]) or None


def verify_readme(
    readme: Path,
    *,
    root: Path | None = None,
    device: Device,
    config: Config,
    team: str | None = None,
    runner: Runner = harness_runner,
    environment: Environment | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Audit a whole table without git: every row that some manifest declares is re-run.

    With `team`, only the rows that team's manifest declares.
    """
    root = root or readme.parent
    report = check_file(readme, config)
    table = report.comparison
    if table is None:
        return VerifyReport(
            verdict="fail",
            device=device,
            problems=report.problems,
            readme=str(readme),
            environment=environment or harness_environment(device, config),
        )
    submissions = discover_submissions(root, config)
    declared = [(row, _declared_by(submissions, row)) for row in table.rows]
    targets = [row for row, owner in declared if owner is not None and team in (None, owner)]
    audited = verify_rows(
        targets,
        table,
        root,
        device=device,
        config=config,
        problems=report.problems,
        runner=runner,
        environment=environment,
        progress=progress,
    )
    return audited.model_copy(update={"readme": str(readme), "team": team})


def verify_pull_request(
    repo: Path,
    base: str,
    head: str,
    *,
    title: str | None,
    device: Device,
    config: Config,
    readme: str | None = None,
    team: str | None = None,
    author: str | None = None,
    runner: Runner = harness_runner,
    environment: Environment | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """The rows a PR adds or changes (not those only rewritten), re-run from the checked-out head.

    With `team`, only that submission's rows (and rows no submission declares, so that they are
    reported by every job of a matrix and joined into one problem) are re-run.

    Raises `validator.git.CannotReadRevision` when a revision cannot be read (a usage error).
    """
    from validator.diff import declarations_at, diff_revisions
    from validator.git import resolve

    readme = readme or config.readme
    diff = diff_revisions(repo, base, head, title=title, readme=readme, config=config, author=author)
    checked_out = resolve(repo, "HEAD")
    if diff.head is None or checked_out != diff.head:
        # The code we run comes from the working tree: it must be the head we report on.
        raise WorkTreeIsNotAtHead(
            f"{repo} has {checked_out[:12]} checked out, not the head {(diff.head or head)[:12]}: "
            "check out the head revision before verifying it"
        )
    targets = [*diff.added, *(c.after for c in diff.changed if not c.format_only)]
    owners = declarations_at(repo, diff.base, config) if diff.base else {}
    if team is not None:
        submissions = discover_submissions(repo, config, team=diff.team, owners=owners)
        targets = [row for row in targets if _declared_by(submissions, row) in (team, None)]
    table = diff.head_table
    if table is None:
        return VerifyReport(
            verdict="fail",
            base=diff.base,
            head=diff.head,
            team=diff.team,
            device=device,
            problems=diff.problems,
            environment=environment or harness_environment(device, config),
        )
    with tempfile.TemporaryDirectory(prefix="validator-eval-") as scratch:
        if (config.bench.eval_sets or config.bench.text_to_speech.asr_path) and diff.base:
            # The course's eval sets and judge model as the base revision has them: a PR cannot
            # rewrite its own exam.
            bench = config.bench.model_copy(
                update={"eval_root": _eval_sets_at(repo, diff.base, config, scratch)}
            )
            config = config.model_copy(update={"bench": bench})
        report = verify_rows(
            targets,
            table,
            repo,
            device=device,
            config=config,
            problems=diff.problems,
            runner=runner,
            environment=environment,
            progress=progress,
            team=diff.team,
            owners=owners,
        )
    return report.model_copy(
        update={"base": diff.base, "head": diff.head, "team": diff.team, "readme": readme}
    )


def _eval_sets_at(repo: Path, sha: str, config: Config, folder: str) -> str:
    """Copy the course's eval sets and text-to-speech judge model at `sha` into `folder` (outside the
    working tree); returns it."""
    from validator.git import list_files, read_blob

    files = list(config.bench.eval_sets.values())
    if config.bench.text_to_speech.asr_path:
        files += list_files(repo, sha, config.bench.text_to_speech.asr_path)
    for relative in files:
        data = read_blob(repo, sha, relative)
        if data is not None:
            target = Path(folder, relative.lstrip("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return folder
