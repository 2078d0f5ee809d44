"""Settings of a course repository: `validator.toml` at its root, or `[tool.validator]` in pyproject.toml.

Defaults fit the course as published, so a course needs no file at all. Every key is documented in
README.md ("Configuration"); unknown keys are errors, so a typo is never silently ignored.
"""

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from validator.errors import ValidatorError
from validator.model import HubArtifact


class ConfigError(ValidatorError):
    """The configuration file cannot be read or is not valid."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column = path, line, column
        where = f"{path}" + (f":{line}" if line else "") + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class TableConfig(_Section):
    #: Headings (case-insensitive substrings) under which the comparison table stands.
    heading: list[str] = Field(
        default_factory=lambda: [
            "Таблица сравнения",
            "Comparison table",
            "Comparison of compression methods",
        ]
    )
    #: Extra header aliases: canonical field -> header texts, added to the built-in table.
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    #: Extra cell texts meaning "not measured", added to the built-in ones (`-`, `N/A`, ...).
    placeholders: list[str] = Field(default_factory=list)
    #: A table is a comparison table when this many of its headers are recognized fields.
    min_fields: int = 3

    @field_validator("aliases")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from validator.model import FIELDS

        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; known: {list(FIELDS)}")
        return value


RuleSeverity = Literal["error", "warning", "off"]


class RulesConfig(_Section):
    """What `validator diff` enforces."""

    #: Regex over the PR title; the named group `team` is the team.
    title_pattern: str = r"^\s*(?P<team>[\w.\-]+)\s+HW-?\s*(?P<homework>\d+)\b"
    #: Folder of the course repository that holds `<team>/bench.toml` (when the team file names no folder).
    submissions_dir: str = "submissions"
    #: The course's team file (each team's folder and members' GitHub logins), read at the base revision.
    teams_file: str = "teams.toml"
    #: What a team without a manifest gets when its PR touches the table: an error, a warning, or nothing.
    manifest_missing: RuleSeverity = "error"
    #: Model cells of the course's template rows, which any team may replace (case-insensitive).
    template_models: list[str] = Field(
        default_factory=lambda: ["your model name", "model name", "название модели", "ваша модель"]
    )
    #: Method cells that mean "the uncompressed original" (case-insensitive).
    original_methods: list[str] = Field(
        default_factory=lambda: ["Оригинал", "Original", "FP32", "baseline", "Базовая", "Исходная"]
    )
    #: A CPU run's RAM below this fraction of the weights size is implausible.
    ram_fraction_min: float = Field(default=0.5, ge=0)
    #: A GPU run's VRAM below this fraction of the weights size is implausible (below 1: rounding).
    vram_fraction_min: float = Field(default=0.9, ge=0)
    #: How far a compressed row's weights size may stray outside the band its method allows (0.2 = ±20%).
    size_tolerance: float = Field(default=0.2, ge=0)
    #: The largest share of parameters quantization may leave in floating point (embeddings, LM head).
    float_fraction_max: float = Field(default=0.6, ge=0, le=1)
    #: Rows sharing at least this many equal non-zero numbers, and no different one, are copies.
    copied_min_values: int = Field(default=3, ge=1)
    #: The hardware assumed for the roofline when a cell names none (a key of the GPU table).
    default_gpu: str | None = None
    #: Extra GPUs for the roofline: name -> memory bandwidth in GB/s.
    gpu_bandwidth_gbs: dict[str, float] = Field(default_factory=dict)
    #: Per-rule severity: a plausibility rule code -> error | warning | off.
    severity: dict[str, RuleSeverity] = Field(default_factory=dict)

    @field_validator("title_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        if "team" not in pattern.groupindex:
            raise ValueError("needs a named group (?P<team>...)")
        return value

    @field_validator("severity")
    @classmethod
    def _known_rules(cls, value: dict[str, RuleSeverity]) -> dict[str, RuleSeverity]:
        from validator.rule_codes import RULE_CODES

        unknown = sorted(set(value) - RULE_CODES)
        if unknown:
            raise ValueError(f"unknown rule(s) {unknown}; known: {sorted(RULE_CODES)}")
        if "manifest-missing" in value:
            raise ValueError("set `manifest_missing` in [rules], not in [rules.severity]")
        return value

    @field_validator("teams_file")
    @classmethod
    def _inside(cls, value: str) -> str:
        parts = value.replace("\\", "/").split("/")
        if not value.strip() or value.startswith("/") or ".." in parts:
            raise ValueError(f"{value!r} must be a path relative to the course root, without '..'")
        return value


class TextToSpeechConfig(_Section):
    """How text-to-speech runs are judged: the course's speech-recognition model transcribes their audio."""

    #: The model, pinned on the hub (fetched into the hub cache by the validator before any run).
    asr: HubArtifact | None = None
    #: Or a folder of the course holding it (relative to the course root), e.g. "models/asr".
    asr_path: str | None = None
    #: Audio longer than this per input is refused (seconds).
    max_seconds: float = Field(default=60.0, gt=0)

    @field_validator("asr_path")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or value.startswith("/") or ".." in value.split("/")):
            raise ValueError(f"{value!r} must be a path relative to the course root, without '..'")
        return value


class BenchConfig(_Section):
    """How `validator bench` runs a submission."""

    timeout_s: float = 600.0
    #: The memory cap of a run's process tree; 0 (auto): the runner's RAM less headroom for the
    #: validator itself (`memory_headroom`).
    memory_limit_mb: int = Field(default=0, ge=0)
    warmup: int = 2
    #: Timed passes over the data, at most: fewer when the timeout cannot fit them (see `min_passes`).
    repeats: int = 5
    #: The statistical minimum a run is judged on: this many timed passes of at least `min_calls`
    #: calls each (or every timed batch, where the data has fewer). A run whose warm-up shows that
    #: even this cannot fit the timeout ends `skipped`, not `timeout`.
    min_passes: int = Field(default=3, ge=1)
    min_calls: int = Field(default=5, ge=1)
    #: Seconds of the timeout kept for the child's report and the parent's scoring after the calls
    #: (at most a tenth of the timeout).
    finish_margin_s: float = Field(default=5.0, ge=0)
    #: A run whose declared weights, times this factor, exceed the memory cap is skipped before loading.
    weights_memory_factor: float = Field(default=1.2, gt=0)
    #: Torch intra-op threads in the child; 0 means the number of CPU cores.
    threads: int = 0
    #: Bytes of the child's stdout/stderr kept for the report.
    output_limit_bytes: int = 64 * 1024
    #: Run the child in a network namespace (`unshare -rn`) where the machine allows it (unprotected runs).
    isolate_network: bool = True
    #: "auto": the bubblewrap sandbox where it works, else unprotected; "bwrap": required; "none": never.
    sandbox: Literal["auto", "bwrap", "none"] = "auto"
    #: Whether `validator verify` may pass a row re-run without the sandbox (for local use).
    allow_unprotected: bool = False
    #: Extra environment variable names passed to the child (nothing else reaches it by name).
    pass_env: list[str] = Field(default_factory=list)
    #: Size of the child's private /tmp (and /dev/shm), in MB.
    scratch_mb: int = Field(default=1024, ge=1)
    #: Files of the team's folder over this size that the manifest does not declare are reported.
    undeclared_file_mb: float = Field(default=5.0, ge=0)
    #: Where the judge keeps the hub repositories runs declare (`hub = [...]` in bench.toml), in the
    #: hub's cache layout; unset: `$VALIDATOR_HUB_CACHE`, else `~/.cache/validator/hub`.
    hub_cache: str | None = None
    #: `validator verify` runs an original row whose run declares a hub model with the validator's
    #: reference loader instead of the team's code: the ratios' baseline is not the team's to write.
    reference_original: bool = False
    #: Course-owned eval sets: task -> a JSON-lines file of the course (relative to its root) whose
    #: inputs and references every run of that task is measured on instead of the team's data.
    #: `validator verify` reads them from the base revision; the child never sees the references.
    eval_sets: dict[str, str] = Field(default_factory=dict)
    #: Where `eval_sets` and `text_to_speech.asr_path` are resolved; set by `validator verify` to its
    #: copy of the base revision's files. Unset: the course root (two folders above the team's folder).
    eval_root: str | None = None
    #: Text-to-speech runs: the course's speech-recognition model.
    text_to_speech: TextToSpeechConfig = Field(default_factory=TextToSpeechConfig.model_construct)


class Tolerance(_Section):
    #: Relative tolerance (0.05 = ±5%).
    relative: float | None = None
    #: Absolute tolerance, in the field's unit (percentage points for a % metric).
    absolute: float | None = None
    #: For hardware-dependent fields: verified within claimed ×/÷ factor.
    factor: float | None = None


def _default_tolerances() -> dict[str, Tolerance]:
    build = Tolerance.model_construct
    return {
        "weights_size": build(relative=0.05),
        "quality": build(relative=0.02),
        "quality_percent": build(absolute=0.5),
        "cpu_speed": build(factor=2.0),
        "gpu_speed": build(factor=2.0),
        "ram": build(factor=2.0),
        "vram": build(factor=2.0),
        "ratio": build(relative=0.2),
    }


class ReferenceHardware(_Section):
    """The hardware the course's numbers are measured on, where a cell names none (`(Tesla T4)`)."""

    #: A CPU model, e.g. "AMD EPYC 7763" (the GitHub-hosted runner's) or "i7-12700H".
    cpu: str | None = None
    #: A GPU, e.g. "Tesla T4".
    gpu: str | None = None


class CompareConfig(_Section):
    """How `validator verify` judges a claim against a measurement."""

    tolerances: dict[str, Tolerance] = Field(default_factory=_default_tolerances)
    #: Absolute times, throughputs and VRAM are compared only on the hardware a claim was measured
    #: on: the cell's note, else this. On other hardware a row is judged by its ratios.
    reference_hardware: ReferenceHardware = Field(default_factory=ReferenceHardware.model_construct)
    #: A mismatched ratio is confirmed by this many more alternating runs of both rows (medians judged).
    confirm_runs: int = Field(default=2, ge=0, le=10)

    @field_validator("tolerances")
    @classmethod
    def _merge_defaults(cls, value: dict[str, Tolerance]) -> dict[str, Tolerance]:
        merged = _default_tolerances()
        unknown = sorted(set(value) - set(merged))
        if unknown:
            raise ValueError(f"unknown tolerance(s) {unknown}; known: {sorted(merged)}")
        merged.update(value)
        return merged


class GithubConfig(_Section):
    #: The login whose comment we edit; we never touch anyone else's.
    comment_author: str = "github-actions[bot]"
    #: The label a maintainer adds to re-run on the GPU runner.
    gpu_label: str = "gpu-rerun"
    #: At most this many changed submissions fan out as jobs of one pull request; more is an error.
    max_submissions: int = Field(default=8, ge=1, le=256)


class Config(_Section):
    #: Language of messages and reports: "en" or "ru".
    language: Literal["en", "ru"] = "en"
    #: The README holding the comparison table, relative to the course root.
    readme: str = "README.md"
    table: TableConfig = Field(default_factory=TableConfig.model_construct)
    rules: RulesConfig = Field(default_factory=RulesConfig.model_construct)
    bench: BenchConfig = Field(default_factory=BenchConfig.model_construct)
    compare: CompareConfig = Field(default_factory=CompareConfig.model_construct)
    github: GithubConfig = Field(default_factory=GithubConfig.model_construct)


def _key_line(text: str, key: str) -> int | None:
    """The line where a key is written, so a validation error points at it."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith((key, f'"{key}"')) and "=" in stripped:
            return number
    return None


def parse_config(data: dict[str, Any], path: Path, text: str = "") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        last = str(first["loc"][-1]) if first["loc"] else ""
        raise ConfigError(path, f"{location}: {first['msg']}", _key_line(text, last)) from None


#: Where a course keeps its settings, in order of precedence.
CONFIG_FILES = ("validator.toml", "pyproject.toml")


def config_from_bytes(data: bytes, where: Path, *, section: bool | None = None) -> Config | None:
    """Settings from a file's bytes; `None` for a pyproject.toml without `[tool.validator]`.

    `where` names the file in messages (a path, or `REV:validator.toml` for a git revision).
    """
    import tomllib  # only when a course has a settings file

    try:
        text = data.decode("utf-8")
        parsed = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(where, f"not UTF-8 ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (None, None)
        raise ConfigError(where, f"not valid TOML: {exc}", line, col) from None
    if section if section is not None else where.name == "pyproject.toml":
        parsed = parsed.get("tool", {}).get("validator")
        if parsed is None:
            return None
    return parse_config(parsed, where, text)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Read the course's settings; defaults when it has none."""
    candidates = [explicit] if explicit else [root / name for name in CONFIG_FILES]
    for path in candidates:
        if path is None or not path.is_file():
            if explicit is not None:
                raise ConfigError(explicit, "no such file")
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(path, f"cannot read: {exc.strerror}") from None
        # An explicit file is read whole, whatever its name.
        config = config_from_bytes(data, path, section=False if explicit else None)
        if config is not None:
            return config
    return Config.model_construct()  # the defaults are valid by construction; skip building validators
