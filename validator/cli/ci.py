"""`validator ci`: run a step of the course's workflows for the pull request of the running workflow.

Options are parsed into `CiSettings` and handed to `validator.app.ci.run_ci`, which calls the other
commands' application functions; this module only decides what goes to the log, and when: verify's
report holds student text, so it is printed with workflow commands stopped, and our own annotations
after they are resumed.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from validator.app.ci import MODES, Mode
from validator.cli.options import (
    as_device,
    as_language,
    config_option,
    echo,
    format_option,
    language_option,
    or_exit_2,
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
    "--team",
    default=None,
    help="verify: only this submission (a folder under submissions/), as listed by --mode plan.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.json"),
    show_default=True,
    help="verify and join: where report.json is written.",
)
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="verify: where the Markdown report is written (default: report.md next to --out).",
)
@click.option(
    "--reports",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="join: a folder holding the matrix's report.json files (downloaded artifacts).",
)
@click.option(
    "--teams",
    default=None,
    help="join: the JSON list --mode plan gave; a team without a report fails the join.",
)
@click.option(
    "--event",
    "event_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The event payload (default: $GITHUB_EVENT_PATH).",
)
@format_option(
    ("github", "text", "json"),
    default="github",
    help="How check, diff and verify print their problems (github: workflow annotations).",
)
@config_option
@language_option
def ci(
    mode: str,
    readme: Path | None,
    device: str,
    team: str | None,
    out: Path,
    markdown: Path | None,
    reports: Path | None,
    teams: str | None,
    event_path: Path | None,
    output_format: str,
    config_path: Path | None,
    language: str | None,
) -> None:
    """Run check, diff, verify, plan or join for the pull request of the running GitHub Actions workflow.

    Writes the outputs `verdict` (pass, fail, error or skipped), `report-path` and, for plan,
    `submissions` (a JSON list) to GITHUB_OUTPUT, and a report to the job summary; exits like the
    command it ran (0 pass, 1 fail, 2 usage or I/O error).
    """
    from validator.app.ci import CiSettings, run_ci
    from validator.reporters import render
    from validator.summary import commands_stopped

    settings = CiSettings(
        mode=cast("Mode", mode),  # click.Choice(MODES) has checked it
        root=Path.cwd(),
        readme=readme,
        device=as_device(device),
        team=team,
        out=out,
        markdown=markdown,
        reports=reports,
        teams=teams,
        event_path=event_path,
        config_path=config_path,
        language=as_language(language),
    )

    def progress(message: str) -> None:
        click.echo(message, err=True)

    if mode == "verify":
        # verify's log carries benchmark output and cell text: shown, never obeyed.
        with commands_stopped():
            outcome = or_exit_2(lambda: run_ci(settings, progress))
            if outcome.report.report is not None:
                shown = "text" if output_format == "github" else output_format
                echo(render("verify", shown, outcome.report.report, outcome.language))
        if outcome.report.report is not None and output_format == "github":
            # Our own annotations, after commands are resumed.
            echo(render("verify", "github", outcome.report.report, outcome.language))
    else:
        outcome = or_exit_2(lambda: run_ci(settings, progress))
    result = outcome.report
    for note in result.notes:
        click.echo(f"validator: {note}")
    if result.report is not None and result.mode == "check":
        echo(render("check", output_format, result.report, outcome.language))
    elif result.report is not None and result.mode == "diff":
        echo(render("diff", output_format, result.report, outcome.language))
    elif result.report is not None and result.mode == "join" and output_format != "github":
        echo(render("verify", output_format, result.report, outcome.language))
    raise SystemExit(outcome.exit_code)
