"""The one shared, versioned data model: quantities, rows, tables, problems, manifests and reports.

Every stage (check, diff, bench, verify, report, comment) and the harness (`bench/`) speak these types,
and their JSON is the contract with the outside world. `SCHEMA_VERSION` changes whenever a fixed field
changes meaning; every report carries it. This module imports nothing of ours: it is the bottom layer.

Validation happens where data crosses a trust boundary: a report read back from an artifact, a
config or manifest file, a run's result from the child process. The table reader builds its values
from the typed results of its own grammar with `model_construct`: validating them again would check
what mypy already checks, and would cost a third of `validator check`'s start-up.
"""

import re
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from validator.errors import ValidatorError

SCHEMA_VERSION = 1

#: Canonical units a quantity is normalized to (see `validator.units`).
Unit = Literal["MB", "ms", "ms/token", "tokens/s", "samples/s"]
#: Quality metrics keep their written scale: a percentage stays a percentage.
MetricUnit = Literal["%"]


#: Canonical fields of a comparison-table row, in the course's column order.
FieldName = Literal["model", "method", "weights_size", "cpu_speed", "gpu_speed", "ram", "vram", "quality"]
FIELDS: tuple[FieldName, ...] = (
    "model",
    "method",
    "weights_size",
    "cpu_speed",
    "gpu_speed",
    "ram",
    "vram",
    "quality",
)

#: A field holding one `Quantity`.
QuantityField = Literal["weights_size", "cpu_speed", "gpu_speed", "ram", "vram"]
#: The fields holding one `Quantity`, in table order.
QUANTITY_FIELDS: tuple[QuantityField, ...] = ("weights_size", "cpu_speed", "gpu_speed", "ram", "vram")
#: A hardware-dependent field: judged in a wide band alone, tightly as a ratio over the original.
HardwareField = Literal["cpu_speed", "gpu_speed", "ram", "vram"]
HARDWARE_FIELDS: tuple[HardwareField, ...] = ("cpu_speed", "gpu_speed", "ram", "vram")
SPEED_FIELDS: tuple[QuantityField, ...] = ("cpu_speed", "gpu_speed")
MEMORY_FIELDS: tuple[QuantityField, ...] = ("weights_size", "ram", "vram")
#: What a claim check is about: a quantity field, or `quality.<metric name as written>`.
CheckedField = QuantityField | Annotated[str, StringConstraints(pattern=r"^quality\.[\s\S]*")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Quantity(_Model):
    """A number with its spread, normalized to a canonical unit (the JSON `Q`)."""

    value: float
    std: float | None = None
    unit: Unit
    #: Free text that came with the number, e.g. the hardware in `31.9ms (Tesla T4)`.
    note: str | None = None

    @property
    def is_throughput(self) -> bool:
        """Higher is better for tokens/s and samples/s; lower for everything else."""
        return self.unit in ("tokens/s", "samples/s")


class Metric(_Model):
    """One named quality number: `WER: 0.031+-0.028`, `82.8% F1`."""

    name: str
    value: float
    std: float | None = None
    unit: MetricUnit | None = None
    note: str | None = None


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class Problem(_Model):
    """Something wrong with the input, kept as data and rendered by a reporter."""

    line: int | None = None
    column: int | None = None
    severity: Severity
    code: str
    message: str
    #: The corrected cell text, when one can be given.
    suggestion: str | None = None
    #: The file the line and column point into, when it is not the report's own `path`.
    path: str | None = None
    #: Values the message was built from, so a reporter can render it in another language.
    params: dict[str, str] = Field(default_factory=dict)


class CellSource(_Model):
    """Where a cell stands in the file and how it was written."""

    text: str
    column: int


class Row(_Model):
    """One row of a comparison table, every number exact and normalized."""

    line: int
    model: str
    method: str | None = None
    weights_size: Quantity | None = None
    cpu_speed: Quantity | None = None
    gpu_speed: Quantity | None = None
    ram: Quantity | None = None
    vram: Quantity | None = None
    quality: list[Metric] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    #: Field name -> the cell as written; lets the diff tell a rewording from a new number.
    source: dict[str, CellSource] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """Rows are matched by (model, method), compared without case and spacing."""
        return (row_key_part(self.model), row_key_part(self.method or ""))

    def quantity(self, field: str) -> Quantity | None:
        value = getattr(self, field)
        assert value is None or isinstance(value, Quantity)
        return value

    def written(self, name: str) -> str:
        """A cell as written, blanks folded: re-aligning a Markdown table is not an edit."""
        source = self.source.get(name)
        return " ".join(source.text.split()) if source else ""

    def values(self) -> dict[str, object]:
        """The row's numbers without its writing: equal values mean a format-only edit."""
        data = self.model_dump(include={*QUANTITY_FIELDS, "quality"})
        for field in QUANTITY_FIELDS:
            if data.get(field):
                data[field].pop("note", None)
        for metric in data["quality"]:
            metric.pop("note", None)
        return data


def row_key_part(text: str) -> str:
    return " ".join(text.casefold().split())


class Table(_Model):
    line: int
    kind: Literal["comparison", "other"]
    #: Canonical field per column, `None` for a column we do not recognize.
    columns: list[str | None]
    #: The header cells as written.
    headers: list[str] = Field(default_factory=list)
    rows: list[Row] = Field(default_factory=list)


class CheckReport(_Model):
    """What `validator check` returns for one file."""

    schema_version: int = SCHEMA_VERSION
    path: str
    tables: list[Table] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)

    @property
    def comparison(self) -> Table | None:
        """The course's comparison table: the first one recognized as such."""
        return next((t for t in self.tables if t.kind == "comparison"), None)

    @property
    def comparisons(self) -> list[Table]:
        """Every comparison table of the file, in order (a lesson may add a second one)."""
        return [t for t in self.tables if t.kind == "comparison"]

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.error for p in self.problems)


# --- Diff: what a pull request changed (`validator diff`) -----------------------------------------


class ChangedRow(_Model):
    """One row present on both sides whose numbers, or only their writing, changed."""

    before: Row
    after: Row
    #: The fields whose numbers changed; for a format-only edit, the fields whose writing changed.
    fields: list[str]
    format_only: bool


class TableDiff(_Model):
    """The comparison tables of two versions of a README, row by row (what the diff rules judge)."""

    base_table: Table | None
    head_table: Table | None
    added: list[Row] = Field(default_factory=list)
    changed: list[ChangedRow] = Field(default_factory=list)
    removed: list[Row] = Field(default_factory=list)


class MarkdownDiff(_Model):
    """A Markdown file at both revisions: every comparison table paired and diffed, and its lines."""

    path: str
    #: The file's lines at each side; None where the file does not exist (for the README's text rule).
    base_lines: list[str] | None
    head_lines: list[str] | None
    tables: list[TableDiff] = Field(default_factory=list)

    @property
    def added(self) -> list[Row]:
        return [row for table in self.tables for row in table.added]

    @property
    def changed(self) -> list[ChangedRow]:
        return [change for table in self.tables for change in table.changed]

    @property
    def removed(self) -> list[Row]:
        return [row for table in self.tables for row in table.removed]

    @property
    def base_table(self) -> Table | None:
        """The first comparison table at the base (the course's)."""
        return next((t.base_table for t in self.tables if t.base_table is not None), None)

    @property
    def head_table(self) -> Table | None:
        return next((t.head_table for t in self.tables if t.head_table is not None), None)


class DiffReport(_Model):
    """What `validator diff` returns; its JSON is the contract the verify stage and the comment read."""

    schema_version: int = SCHEMA_VERSION
    base: str | None = None
    head: str | None = None
    team: str | None = None
    #: How the team was found: by the PR's author in the team file, by its title, or not at all.
    team_found_by: Literal["author", "title", "none"] = "none"
    added: list[Row] = Field(default_factory=list)
    changed: list[ChangedRow] = Field(default_factory=list)
    removed: list[Row] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    #: The README the problem lines point into (the head's); not part of the JSON.
    path: str = Field(default="README.md", exclude=True)
    #: The comparison tables read at each side, for the stages that go on from here (verify); not in the JSON.
    base_table: Table | None = Field(default=None, exclude=True)
    head_table: Table | None = Field(default=None, exclude=True)
    #: The team's manifest path, and the one to add filled in from the PR's rows (`validator manifest`
    #: writes it; the `manifest-missing` problem suggests it); not in the JSON.
    manifest_path: str | None = Field(default=None, exclude=True)
    manifest_template: str | None = Field(default=None, exclude=True)

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.error for p in self.problems)


# --- Manifests: what a team declares (`submissions/<team>/bench.toml`) ----------------------------

#: What a run's outputs are and how the parent scores them (`bench.tasks`). `classification` is the
#: older name of `text-classification` and is scored the same way.
Task = Literal[
    "generic",
    "text-generation",
    "speech-recognition",
    "classification",
    "text-classification",
    "token-classification",
    "image-classification",
    "language-modeling",
    "text-to-speech",
]
MANIFEST_NAME = "bench.toml"


class ManifestError(ValidatorError):
    """A manifest that cannot be read or is not valid, with the file and line to fix.

    It lives with the model because `Manifest.resolve` raises it; `bench.manifest` reads the file.
    """

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path, self.message, self.line, self.column = path, message, line, column
        where = str(path) + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")


def _relative(value: str) -> str:
    if any(ord(char) < 32 or char == "\x7f" for char in value):
        raise ValueError(f"{value!r} must not contain control characters")
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not value.strip():
        raise ValueError(f"{value!r} must be a path relative to the team's folder, without '..'")
    return value


#: A hub commit: the numbers must be reproducible, so a branch or tag name is refused.
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
HUB_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")


class HubArtifact(_Model):
    """A Hugging Face hub repository a run uses, pinned to a commit (student input: strict)."""

    repo: str
    revision: str
    #: Globs of the repository's files to fetch (`huggingface_hub.snapshot_download`'s allow_patterns).
    files: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=64)
    kind: Literal["model", "dataset"] = "model"

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if not HUB_REPO.match(value) or ".." in value:
            raise ValueError(f"{value!r} is not a hub repository name ('owner/name')")
        return value

    @field_validator("revision")
    @classmethod
    def _revision(cls, value: str) -> str:
        if not COMMIT_SHA.match(value):
            raise ValueError(
                f"revision {value!r} is not a commit sha (40 hex digits): a branch or tag can move, "
                "and the numbers must be reproducible"
            )
        return value

    @field_validator("files")
    @classmethod
    def _files(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern or len(pattern) > 200 or pattern.startswith("/") or ".." in pattern:
                raise ValueError(f"{pattern!r} is not a file glob inside the repository")
        return value


class RunSpec(_Model):
    """One `[[run]]`: a table row the team claims and how to re-run it (student input: strict)."""

    model: str = Field(min_length=1)
    method: str = Field(min_length=1)
    entry: str
    task: Task = "generic"
    data: str
    weights: str | None = None
    batch_size: int = Field(default=1, ge=1, le=4096)
    #: Hub repositories the run loads (fetched by the judge before any student code runs).
    hub: list[HubArtifact] = Field(default_factory=list, max_length=16)
    #: Line of the `[[run]]` header in bench.toml (filled by the loader).
    line: int | None = None

    @field_validator("entry")
    @classmethod
    def _entry(cls, value: str) -> str:
        file, sep, name = value.partition(":")
        if not sep or not file.endswith(".py") or not name.isidentifier():
            raise ValueError(f"{value!r} must be 'file.py:ClassName'")
        _relative(file)
        return value

    @field_validator("data", "weights")
    @classmethod
    def _paths(cls, value: str | None) -> str | None:
        return None if value is None else _relative(value)

    @property
    def key(self) -> tuple[str, str]:
        """Matched against table rows by (model, method), like `Row.key`."""
        return (row_key_part(self.model), row_key_part(self.method))

    @property
    def entry_file(self) -> str:
        return self.entry.partition(":")[0]

    @property
    def entry_class(self) -> str:
        return self.entry.partition(":")[2]


class Manifest(_Model):
    """A team's `bench.toml`: who they are and which rows they claim (student input: strict)."""

    team: str = Field(min_length=1)
    runs: list[RunSpec] = Field(alias="run", min_length=1)
    #: The team's folder; every relative path of the manifest is inside it.
    folder: Path = Path()

    def resolve(self, relative: str) -> Path:
        """A manifest path made absolute, refusing anything that leaves the team's folder."""
        root = self.folder.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise ManifestError(self.folder / MANIFEST_NAME, f"{relative!r} leaves the team's folder")
        return path

    def find(self, model: str, method: str | None) -> RunSpec | None:
        key = (row_key_part(model), row_key_part(method or ""))
        return next((run for run in self.runs if run.key == key), None)


# --- Runs: what the harness measured (`validator bench`) ---------------------------------------

#: "skipped": the run could not fit the runner (time or memory budget) and was not judged.
RunStatus = Literal["ok", "timeout", "oom", "error", "skipped"]
Device = Literal["cpu", "cuda"]


class Environment(_Model):
    """The hardware and software a run happened on, as the report shows it."""

    cpu: str | None = None
    cores: int | None = None
    ram_mb: float | None = None
    os: str | None = None
    python: str | None = None
    torch: str | None = None
    transformers: str | None = None
    threads: int | None = None
    gpu: str | None = None
    gpu_driver: str | None = None
    gpu_memory_mb: float | None = None
    #: The memory cap of each run (MB): configured, or the runner's memory less the validator's headroom.
    memory_limit_mb: int | None = None


class RunResult(_Model):
    """One declared run, re-run and measured by the harness (one element of `validator bench`'s `runs`).

    Strict: the harness's detail is declared below, so a result read back from an artifact cannot
    smuggle in a field no reporter checks.
    """

    model: str
    method: str
    status: RunStatus
    device: Device = "cpu"
    weights_size: Quantity | None = None
    cpu_speed: Quantity | None = None
    gpu_speed: Quantity | None = None
    ram: Quantity | None = None
    vram: Quantity | None = None
    quality: list[Metric] = Field(default_factory=list)
    error: str | None = None
    samples: int = 0
    repeats: int = 0
    # Detail added by the harness (`bench/`); all optional.
    #: Calls timed in all (the first pass covers every timed batch; later ones may use fewer).
    timed_calls: int | None = None
    #: One predict() call's cost estimated from the warm-up (s): what the timed passes were planned on.
    estimate_s: float | None = None
    #: A skipped run: why ("time": not even the minimum of timed calls fits the timeout; "memory": the
    #: declared weights cannot fit the memory cap; "gpu-only": the row claims no CPU number), and what
    #: it would need (seconds of timed calls, MB to load the weights).
    skip_reason: Literal["time", "memory", "gpu-only"] | None = None
    needed_s: float | None = None
    needed_mb: float | None = None
    #: The memory cap the run had (MB): the configured one, or the runner's memory less headroom.
    memory_limit_mb: int | None = None
    team: str | None = None
    #: The speed's median and 90th percentile, in the speed's unit (per sample, or per call for tokens/s).
    p50: float | None = None
    p90: float | None = None
    #: Text generation: the same timing as ms per generated token.
    ms_per_token: Quantity | None = None
    #: Text-to-speech: seconds of compute per second of audio generated (below 1: faster than real time).
    real_time_factor: float | None = None
    #: The speed computed from the CPU time the child used instead of the wall clock: unaffected by
    #: other processes on a shared machine; a sleeping or GPU-bound run shows a much better number here.
    speed_cpu_time: Quantity | None = None
    #: "files" (the declared weights), "hub" (the weights files of the run's unmodified hub model) or
    #: "parameters" (torch parameters and buffers of the submission).
    weights_source: Literal["files", "hub", "parameters"] | None = None
    #: RSS after importing the entry module, before load(): mostly the runtime (torch, transformers).
    ram_baseline: Quantity | None = None
    #: Peak RSS over that baseline: what the model and its inference add.
    ram_over_baseline: Quantity | None = None
    #: The child's own ru_maxrss and the parent's psutil peak of the process tree; `ram` is the larger.
    ram_ru_maxrss: Quantity | None = None
    ram_sampled: Quantity | None = None
    #: CUDA: torch.cuda.max_memory_allocated (`vram` is the larger of this and the driver's pynvml peak).
    vram_allocated: Quantity | None = None
    threads: int | None = None
    interop_threads: int | None = None
    #: Whether the child ran without network (a network namespace).
    network_isolated: bool | None = None
    #: "bwrap": the team's code ran in the judge's sandbox; "none": unprotected (it could reach the judge).
    sandbox: Literal["bwrap", "none"] | None = None
    #: Declared weights (relative paths) the run never opened, as the parent watched it (None: unknown).
    weights_unopened: list[str] | None = None
    #: Large files of the team's folder that the manifest does not declare (relative paths).
    undeclared_files: list[str] | None = None
    #: `owner/name@sha`: the run was the validator's reference loader on that hub model, not the team's
    #: code (an original row under `[bench] reference_original`); None: the team's code.
    reference_loader: str | None = None
    #: "course": measured on the course's eval set for the task; "team": on the team's own data file.
    data_source: Literal["course", "team"] | None = None
    #: What the harness noticed about the run, in words (a memo in predict(), one batch of data...).
    notes: list[str] | None = None
    wall_s: float | None = None
    #: The child's traceback tail and the tail of its stdout/stderr (capped).
    log_tail: str | None = None

    def quantity(self, field: str) -> Quantity | None:
        value = getattr(self, field, None)
        return value if isinstance(value, Quantity) else None


class BenchReport(_Model):
    """What `validator bench` returns: every run measured, and the machine it ran on."""

    schema_version: int = SCHEMA_VERSION
    runs: list[RunResult] = Field(default_factory=list)
    environment: Environment = Field(default_factory=Environment)


# --- Verification: claimed versus verified (`validator verify`) -------------------------------

Verdict = Literal["verified", "mismatch", "unverified"]
RowStatus = Literal["ok", "timeout", "oom", "error", "no-manifest", "skipped"]


#: How a claim was judged: against the measurement itself ("absolute"); by the row's ratio over its
#: original, the absolute number being from other hardware ("ratio"); or not at all, on other hardware
#: without a ratio ("not comparable").
JudgedBy = Literal["absolute", "ratio", "not comparable"]


class Check(_Model):
    """One claimed number set against the number we measured."""

    field: CheckedField
    claimed: Quantity | Metric | None = None
    verified: Quantity | Metric | None = None
    verdict: Verdict
    note: str = ""
    #: None where there was nothing to judge (no claim, or nothing measured).
    judged_by: JudgedBy | None = None


class RowVerification(_Model):
    line: int | None = None
    model: str
    method: str | None = None
    status: RowStatus
    checks: list[Check] = Field(default_factory=list)
    #: The child's message and traceback tail when the run failed.
    log_tail: str | None = None
    #: The row rewritten with verified numbers, in the course format, ready to paste.
    corrected_row: str | None = None
    #: `owner/name@sha` when the row was run by the validator's reference loader, not the team's code.
    reference_loader: str | None = None
    #: What was timed: calls, passes, and the passes the course declares (fewer when the timeout
    #: could not hold them, or when only the first pass was believed).
    timed_calls: int | None = None
    passes: int | None = None
    passes_declared: int | None = None


class RatioCheck(_Model):
    """Compressed over original, claimed versus verified on one runner: hardware cancels out."""

    model: str
    method: str
    baseline_method: str
    #: `owner/name@sha` when the original was run by the validator's reference loader (not the team's).
    baseline_reference: str | None = None
    field: HardwareField
    claimed: float | None = None
    verified: float | None = None
    verdict: Verdict
    note: str = ""


class VerifyReport(_Model):
    """The input of the PR comment; validated again when read back (it crosses a trust boundary)."""

    schema_version: int = SCHEMA_VERSION
    verdict: Literal["pass", "fail"]
    base: str | None = None
    head: str | None = None
    pr: int | None = None
    team: str | None = None
    device: Device = "cpu"
    #: The README the problems' lines point into.
    readme: str = "README.md"
    #: The course's language (its config at the base), for the comment posted from another job.
    language: Literal["en", "ru"] | None = None
    rows: list[RowVerification] = Field(default_factory=list)
    ratios: list[RatioCheck] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    environment: Environment = Field(default_factory=Environment)
