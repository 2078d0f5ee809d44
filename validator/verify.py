"""`validator verify`: re-run the declared submission of each new or changed row, and judge every claim.

Two entry points share one core: `verify_pull_request` (a base and a head revision: the rows the PR
adds or changes) and `verify_readme` (no git: every row that a manifest declares, for a maintainer
auditing the whole table). Each declared run is executed once, even when a ratio check needs the
team's original row too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.manifest import load_manifest
from validator.check import check_file
from validator.compare import check_ratios, check_row
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
from validator.rules import MANIFEST_INVALID, manifest_problem
from validator.rules import is_original as original_method
from validator.units import format_quantity

#: Significant digits of a measured number written into a corrected row.
MEASURED_DIGITS = 4

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


class WorkTreeIsNotAtHead(ValidatorError):
    """The submissions on disk are not the head revision's: running them would verify other code."""


#: Runs one declared submission; the harness by default, a fake in tests of this module's logic.
Runner = Callable[[Manifest, RunSpec, Device, Config], RunResult]


def harness_runner(manifest: Manifest, run: RunSpec, device: Device, config: Config) -> RunResult:
    from bench.runner import run_submission  # the harness pulls in psutil and friends: only here

    return run_submission(manifest, run, device=device, config=config.bench)


def harness_environment(device: Device, config: Config) -> Environment:
    from bench.trackers.environment import collect_environment

    return collect_environment(device, threads=config.bench.threads)


def is_original(method: str | None, config: Config) -> bool:
    """`Оригинал`, `Original`, `FP32 (Baseline)`...: the uncompressed row a ratio is taken over."""
    return original_method(method, config.rules)


@dataclass
class Submissions:
    """Every manifest of the course, and what reading them found."""

    manifests: list[Manifest]
    problems: list[Problem]

    def find(self, row: Row) -> tuple[Manifest, RunSpec] | None:
        for manifest in self.manifests:
            run = manifest.find(row.model, row.method)
            if run is not None:
                return manifest, run
        return None


def discover_submissions(root: Path, config: Config) -> Submissions:
    folder = root / config.rules.submissions_dir
    manifests: list[Manifest] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob(f"*/{MANIFEST_NAME}")) if folder.is_dir() else []:
        try:
            manifests.append(load_manifest(path))
        except ManifestError as exc:
            problems.append(manifest_problem(exc, path.relative_to(root).as_posix()))
    return Submissions(manifests, problems)


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
) -> VerifyReport:
    """Re-run and judge the target rows of a table whose course repository is at `root`.

    Each declared run happens once. A ratio that disagrees is confirmed before it is reported: the
    original and the compressed run are re-run alternately `compare.confirm_runs` more times and the
    median of each is judged, so one slow second on a shared runner cannot fail an honest row, and
    an honest PR costs no extra runs.
    """
    submissions = discover_submissions(root, config)
    plan = _plan(targets, table.rows, submissions, config)
    runs: dict[tuple[str, str], list[RunResult]] = {}

    def execute(keys: set[tuple[str, str]] | None = None) -> None:
        for row, manifest, run in plan:
            if keys is None or row.key in keys:
                if progress:
                    progress(f"running {manifest.team}: {run.model} · {run.method}")
                runs.setdefault(row.key, []).append(runner(manifest, run, device, config))

    execute()
    judged = _judge(targets, table, _medians(runs), device=device, config=config)
    doubtful = _doubtful_keys(judged.ratios, table, config)
    if doubtful and config.compare.confirm_runs > 0:
        for _ in range(config.compare.confirm_runs):
            execute(doubtful)  # alternating: original, compressed, original, compressed...
        judged = _judge(targets, table, _medians(runs), device=device, config=config)
    # The diff already reported the team's broken manifest: one problem per broken bench.toml.
    reported = {p.path for p in problems if p.code == MANIFEST_INVALID.code}
    found = [
        *problems,
        *(p for p in submissions.problems if p.path not in reported),
        *judged.problems,
    ]
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
) -> _Judged:
    """Every claim of the target rows against the runs' results, and the ratios over originals."""
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
        checks = check_row(row, result, config.compare)
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
                        verified=_shown(check.verified),
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
                corrected_row=corrected_row(table, row, checks),
            )
        )
    for row in table.rows:  # originals run only for the ratios still belong in them
        if row.key in results and all(row is not r for r, _ in pairs) and results[row.key].status == "ok":
            pairs.append((row, results[row.key]))
    ratios = check_ratios(pairs, lambda method: is_original(method, config), config.compare, device)
    return _Judged(verified_rows, ratios, found)


def _shown(value: Quantity | Metric | None) -> str:
    if isinstance(value, Quantity):
        return format_quantity(value)
    if isinstance(value, Metric):
        return format_metric(value)
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
    from validator.diff import diff_revisions
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
    if team is not None:
        submissions = discover_submissions(repo, config)
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
    )
    return report.model_copy(
        update={"base": diff.base, "head": diff.head, "team": diff.team, "readme": readme}
    )
