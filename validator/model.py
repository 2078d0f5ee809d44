"""The one shared, versioned data model: quantities, rows, tables, problems.

Every stage (check, diff, bench, verify, report, comment) speaks these types, and their JSON is the
contract with the outside world. `SCHEMA_VERSION` changes whenever a fixed field changes meaning.

Validation happens where data crosses a trust boundary: a report read back from an artifact, a
config or manifest file, a run's result from the child process. The table reader builds its values
from the typed results of its own grammar with `model_construct`: validating them again would check
what mypy already checks, and would cost a third of `validator check`'s start-up.
"""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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

#: The fields holding one `Quantity`, in table order.
QUANTITY_FIELDS: tuple[str, ...] = ("weights_size", "cpu_speed", "gpu_speed", "ram", "vram")
#: The fields that hold hardware-dependent numbers.
SPEED_FIELDS: tuple[str, ...] = ("cpu_speed", "gpu_speed")
MEMORY_FIELDS: tuple[str, ...] = ("weights_size", "ram", "vram")


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
    def has_errors(self) -> bool:
        return any(p.severity is Severity.error for p in self.problems)


# --- Runs: what the harness measured (`validator bench`) ---------------------------------------

RunStatus = Literal["ok", "timeout", "oom", "error"]
Device = Literal["cpu", "cuda"]


class Environment(BaseModel):
    """The hardware and software a run happened on, as the report shows it."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

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


class RunResult(BaseModel):
    """One declared run, re-run and measured by the harness (one element of `validator bench`'s `runs`).

    The harness (`bench/`) may add detail fields; these are the fixed ones.
    """

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

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
    team: str | None = None
    #: The speed's median and 90th percentile, in the speed's unit (per sample, or per call for tokens/s).
    p50: float | None = None
    p90: float | None = None
    #: Text generation: the same timing as ms per generated token.
    ms_per_token: Quantity | None = None
    #: The speed computed from the CPU time the child used instead of the wall clock: unaffected by
    #: other processes on a shared machine; a sleeping or GPU-bound run shows a much better number here.
    speed_cpu_time: Quantity | None = None
    #: "files" (the declared weights) or "parameters" (torch parameters and buffers of the submission).
    weights_source: Literal["files", "parameters"] | None = None
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
    wall_s: float | None = None
    #: The child's traceback tail and the tail of its stdout/stderr (capped).
    log_tail: str | None = None

    def quantity(self, field: str) -> Quantity | None:
        value = getattr(self, field, None)
        return value if isinstance(value, Quantity) else None


class BenchReport(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    schema_version: int = SCHEMA_VERSION
    runs: list[RunResult] = Field(default_factory=list)
    environment: Environment = Field(default_factory=Environment)


# --- Verification: claimed versus verified (`validator verify`) -------------------------------

Verdict = Literal["verified", "mismatch", "unverified"]
RowStatus = Literal["ok", "timeout", "oom", "error", "no-manifest", "skipped"]


class Check(_Model):
    """One claimed number set against the number we measured."""

    field: str
    claimed: Quantity | Metric | None = None
    verified: Quantity | Metric | None = None
    verdict: Verdict
    note: str = ""


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


class RatioCheck(_Model):
    """Compressed over original, claimed versus verified on one runner: hardware cancels out."""

    model: str
    method: str
    baseline_method: str
    field: str
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
