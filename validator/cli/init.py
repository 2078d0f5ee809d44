"""`validator init --action OWNER/REPO@SHA [DIR]`: a course repository's workflows and settings."""

from __future__ import annotations

from pathlib import Path

import click

from validator.cli.options import fail, or_exit_2


@click.command()
@click.argument("root", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--action",
    required=True,
    metavar="OWNER/REPO@SHA",
    help="The validator's repository and the full commit SHA of the release to run.",
)
@click.option(
    "--tag", default=None, help="The release that commit is, written beside it (default: this version)."
)
@click.option("--language", type=click.Choice(["en", "ru"]), default="en", show_default=True)
@click.option(
    "--member",
    "members",
    multiple=True,
    metavar="TEAM=LOGIN",
    help="A team member's GitHub login, for teams.toml (repeat it).",
)
@click.option("--force", is_flag=True, help="Replace workflow files that differ from the templates.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the settings (default: validator.toml in ROOT); kept if it exists.",
)
def init(
    root: Path,
    action: str,
    tag: str | None,
    language: str,
    members: tuple[str, ...],
    force: bool,
    config_path: Path | None,
) -> None:
    """Write .github/workflows/{validate,comment,gpu}.yml, validator.toml and teams.toml into ROOT."""
    from validator.app.init import InitSettings, run_init

    teams: dict[str, list[str]] = {}
    for item in members:
        team, sep, login = item.partition("=")
        if not sep or not team or not login:
            fail(f"--member takes TEAM=LOGIN, not {item!r}")
        teams.setdefault(team, []).append(login)
    settings = InitSettings(
        root=root,
        action=action,
        tag=tag,
        language="ru" if language == "ru" else "en",
        members=teams,
        force=force,
        config_path=config_path,
    )
    outcome = or_exit_2(lambda: run_init(settings))
    for file in outcome.report:
        click.echo(f"{file.status:>9}  {file.path}")
    click.echo(
        "Next: commit these files, create the GPU label, and check the repository settings "
        '(docs/github.md, "Set it up").'
    )
