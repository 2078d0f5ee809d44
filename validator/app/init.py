"""`validator init`: lay a course repository's workflows, settings and team file, pinned to one commit.

The workflow templates ship inside the package (`validator/templates/`); the examples and the tests
use these same files. Every `uses:` of the validator is written as `OWNER/REPO@<40-hex sha> # <tag>`:
a tag can be moved, a commit cannot, so a branch or tag name is refused rather than written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from validator import __version__
from validator.app import Language, Outcome
from validator.errors import SettingsAreInvalid
from validator.teams import LOGIN

WORKFLOWS = ("validate.yml", "comment.yml", "gpu.yml")
#: How the templates name the validator's action until `init` pins it.
PLACEHOLDER = re.compile(r"OWNER/validator@0{40} # v[0-9][0-9.]*")
_ACTION = re.compile(r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@(?P<sha>[0-9a-f]{40})$")
_TAG = re.compile(r"^v?[0-9][0-9A-Za-z.+-]*$")
_TEAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


class CannotInitialize(SettingsAreInvalid):
    """The course cannot be initialized as asked (a bad pin, a file in the way): exit 2."""


@dataclass(frozen=True, kw_only=True)
class InitSettings:
    #: The course repository's root.
    root: Path
    #: OWNER/REPO@<40-hex sha> of the validator's action.
    action: str
    #: The release that commit is, written beside it; None: this installation's version.
    tag: str | None
    language: Language
    #: Team folder name -> GitHub logins of its members, for teams.toml.
    members: dict[str, list[str]]
    #: Replace workflow files that differ from the templates.
    force: bool
    #: Where the settings go; None: validator.toml at the root.
    config_path: Path | None


@dataclass(frozen=True)
class Written:
    path: Path
    #: "written", "unchanged" or "kept" (an existing settings or team file is never overwritten).
    status: str


def template(name: str) -> str:
    return resources.files("validator").joinpath("templates", name).read_text(encoding="utf-8")


def pinned(text: str, action: str, tag: str) -> str:
    """A template with every use of the validator's action pinned; refuses to leave a placeholder."""
    match = _ACTION.match(action)
    if match is None:
        raise CannotInitialize(
            f"--action must be OWNER/REPO@SHA with the full 40-character commit SHA, not {action!r} "
            "(git ls-remote https://github.com/OWNER/REPO refs/tags/vX.Y.Z shows it)"
        )
    if not _TAG.match(tag):
        raise CannotInitialize(f"--tag must be a version such as v0.1.0, not {tag!r}")
    version = tag if tag.startswith("v") else f"v{tag}"
    result = PLACEHOLDER.sub(f"{match['repo']}@{match['sha']} # {version}", text)
    if "OWNER/" in result:
        raise CannotInitialize("a template still names OWNER/ after pinning: this installation is broken")
    return result


def teams_file(teams: dict[str, list[str]], submissions_dir: str) -> str:
    lines = [
        "# Who may change which submission: a team's folder and the GitHub logins of its members.",
        "# Written by `validator init`; add a team per folder under " + submissions_dir + "/.",
    ]
    for name, members in sorted(teams.items()):
        lines += [
            "",
            f"[teams.{json.dumps(name)}]",
            f"folder = {json.dumps(f'{submissions_dir}/{name}')}",
            "members = [" + ", ".join(json.dumps(m) for m in members) + "]",
        ]
    return "\n".join(lines) + "\n"


def settings_file(language: str) -> str:
    return (
        "# Settings of the validator for this course; every key is described in the validator's README.\n"
        f'language = "{language}"\n'
        'readme = "README.md"\n'
        "\n[github]\n"
        "# The label a maintainer adds to re-run a pull request on the GPU runner; the repository\n"
        "# variable VALIDATOR_GPU_LABEL must say the same when it is not the default.\n"
        'gpu_label = "gpu-rerun"\n'
    )


def _write(path: Path, text: str, force: bool) -> Written:
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return Written(path, "unchanged")
        if not force:
            raise CannotInitialize(f"{path} exists and differs; give --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Written(path, "written")


def run_init(settings: InitSettings) -> Outcome[list[Written]]:
    """Exit 0 when every file is written, unchanged or kept; raises `CannotInitialize` (exit 2)."""
    written = init_course(
        settings.root,
        settings.action,
        language=settings.language,
        tag=settings.tag,
        members=settings.members,
        force=settings.force,
        config_path=settings.config_path,
    )
    return Outcome(written, 0, settings.language)


def init_course(
    root: Path,
    action: str,
    *,
    language: str = "en",
    tag: str | None = None,
    members: dict[str, list[str]] | None = None,
    force: bool = False,
    config_path: Path | None = None,
) -> list[Written]:
    """Write the three workflows (pinned to `action`), validator.toml and teams.toml into `root`.

    Teams are the folders under `submissions/`, plus any named in `members`. An existing
    validator.toml or teams.toml is kept as it is: they hold the maintainer's decisions.
    """
    if not root.is_dir():
        raise CannotInitialize(f"{root}: no such directory")
    if language not in ("en", "ru"):
        raise CannotInitialize(f"--language must be en or ru, not {language!r}")
    members = members or {}
    for team, logins in members.items():
        bad = [name for name in [team] if not _TEAM.match(name)] + [m for m in logins if not LOGIN.match(m)]
        if bad:
            raise CannotInitialize(f"not a team folder name or a GitHub login: {bad[0]!r}")
    texts = {name: pinned(template(name), action, tag or f"v{__version__}") for name in WORKFLOWS}
    written = [_write(root / ".github" / "workflows" / name, text, force) for name, text in texts.items()]
    for path, text in (
        (config_path or root / "validator.toml", settings_file(language)),
        (root / "teams.toml", None),
    ):
        if path.exists():
            written.append(Written(path, "kept"))
            continue
        if text is None:
            folder = root / "submissions"
            folders = sorted(folder.iterdir()) if folder.is_dir() else []
            found: dict[str, list[str]] = {p.name: [] for p in folders if p.is_dir() and _TEAM.match(p.name)}
            text = teams_file({**found, **members}, "submissions")
        written.append(_write(path, text, force))
    return written
