"""`validator ci`: run `check`, `diff` or `verify` for the pull request of the running workflow.

Everything the command needs (base and head SHAs, title, PR number, labels) comes from the event
payload at GITHUB_EVENT_PATH, so a workflow needs no shell glue, and no student-controlled string
(title, branch name) is ever expanded by a shell. The other commands are looked up by name at run
time and invoked through click, so `ci` passes exactly the options a person would type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from validator.cli.options import config_option, fail, language_option, settings

MODES = ("check", "diff", "verify")
_VERDICT_BY_EXIT = {0: "pass", 1: "fail"}


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 2


def invoke_by_options(
    ctx: click.Context, name: str, values: dict[str, Any], required: tuple[str, ...] = ()
) -> int:
    """Invoke the command `name` with values keyed by its option flags (`--base`) or argument names.

    Flags are resolved to the command's own parameter names, so `ci` does not depend on how each
    command names its Python parameters. A value the command has no option for is dropped, unless
    it is required, which is a usage error. Returns the command's exit code.
    """
    from validator.cli import main

    command = main.get_command(ctx, name)
    if command is None:
        fail(f"`validator {name}` is not available in this installation")
        raise AssertionError("unreachable")
    by_flag: dict[str, str] = {}
    for param in command.params:
        if param.name is None:
            continue
        by_flag[param.name] = param.name
        for flag in getattr(param, "opts", []):
            by_flag[flag] = param.name
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key in by_flag:
            kwargs[by_flag[key]] = value
        elif key in required:
            fail(f"`validator {name}` has no option {key}, which `validator ci` needs")
    try:
        ctx.invoke(command, **kwargs)
    except SystemExit as exc:
        return _exit_code(exc)
    return 0


def _annotate(report_path: Path, readme: str, language: str) -> None:
    """Problems of the verify report as annotations, printed after commands are resumed."""
    from validator.cli.comment import CannotReadReport, load_report
    from validator.reporters import github_annotation

    try:
        report = load_report(report_path)
    except CannotReadReport as exc:
        click.echo(f"validator: {exc}", err=True)
        return
    for problem in report.problems:
        click.echo(github_annotation(problem, readme, language))


def _record_pr(report_path: Path, number: int) -> None:
    """Stamp the PR number into the report, so the comment job can check it against the API."""
    from validator.cli.comment import CannotReadReport, load_report

    try:
        report = load_report(report_path)
    except CannotReadReport:
        return
    if report.pr is None:
        report_path.write_text(
            report.model_copy(update={"pr": number}).model_dump_json(indent=2), encoding="utf-8"
        )


@click.command()
@click.option("--mode", type=click.Choice(MODES), default="verify", show_default=True)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The README with the comparison table (default: the config's `readme`).",
)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.json"),
    show_default=True,
    help="Where verify writes report.json.",
)
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where verify writes the Markdown report (default: report.md next to --out).",
)
@click.option(
    "--event",
    "event_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The event payload (default: $GITHUB_EVENT_PATH).",
)
@config_option
@language_option
@click.pass_context
def ci(
    ctx: click.Context,
    mode: str,
    readme: Path | None,
    device: str,
    out: Path,
    markdown: Path | None,
    event_path: Path | None,
    config_path: Path | None,
    language: str | None,
) -> None:
    """Run check, diff or verify for the pull request of the running GitHub Actions workflow.

    Writes the outputs `verdict` (pass, fail, error or skipped) and `report-path` to GITHUB_OUTPUT and
    the report to the job summary; exits like the command it ran.
    """
    from validator.event import ACTIONS, CannotReadEvent, load_event
    from validator.summary import commands_stopped, set_outputs, write_summary

    config = settings(Path.cwd(), config_path)
    lang = language or config.language
    try:
        event = load_event(event_path)
    except CannotReadEvent as exc:
        fail(str(exc))
        return
    readme = readme or Path(config.readme)
    if event.action not in ACTIONS or (event.action == "labeled" and event.label != config.github.gpu_label):
        # Only the configured label re-runs anything; any other label is none of our business.
        click.echo(f"validator: nothing to do for a `{event.action}` event")
        set_outputs({"verdict": "skipped", "report-path": ""})
        return
    common = {"--config": config_path, "--lang": language}
    report_path = ""
    if mode == "check":
        code = invoke_by_options(
            ctx, "check", {"readme": readme, "--format": "github", **common}, ("readme",)
        )
    elif mode == "diff":
        values = {
            "--base": event.base_sha,
            "--head": event.head_sha,
            "--title": event.title,
            "--readme": readme,
            "--format": "github",
            **common,
        }
        code = invoke_by_options(ctx, "diff", values, ("--base", "--head"))
    else:
        markdown = markdown or out.with_suffix(".md")
        values = {
            "--base": event.base_sha,
            "--head": event.head_sha,
            "--title": event.title,
            "--device": device,
            "--out": out,
            "--markdown": markdown,
            "--format": "text",
            **common,
        }
        # verify's log carries benchmark output and cell text: shown, never obeyed.
        with commands_stopped():
            code = invoke_by_options(ctx, "verify", values, ("--base", "--head", "--out"))
        if out.is_file():
            _record_pr(out, event.number)
            _annotate(out, str(readme), lang)
            report_path = str(out)
        if markdown.is_file():
            write_summary(markdown.read_text(encoding="utf-8", errors="replace"))
    verdict = _VERDICT_BY_EXIT.get(code, "error")
    if mode != "verify":
        write_summary(
            f"### validator {mode}: {verdict}\n\nPull request #{event.number} at `{event.head_sha[:12]}`; "
            "problems are annotated on the files.\n"
        )
    set_outputs({"verdict": verdict, "report-path": report_path})
    raise SystemExit(code)
