"""Who a pull request's team is: the course's team file, the PR's author, its title as a fallback.

The team file sits at the course root (`[rules] teams_file`, default `teams.toml`) and is read at the
pull request's BASE revision, so a PR cannot add its author to a team:

```toml
[teams.ml_masters]
folder = "submissions/ml_masters"     # the team's own folder; the rest of the course is not its to change
members = ["alice", "bob-2"]          # GitHub logins (case-insensitive)
```

The team is the one whose `members` hold the PR's author (`pull_request.user.login` of the event). When
the author is in no team, the title may name one (`rules.title_pattern`) — but only a team that lists no
members, or when no author is known (a local run): a title is student text and cannot make its author a
member of a team that says who its members are. Without a team file the title alone names the team, and
its folder is `<submissions_dir>/<team>`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from validator.config import ConfigError, RulesConfig
from validator.metrics import metric_key
from validator.model import Row, row_key_part

#: A GitHub login: letters, digits and single inner hyphens, at most 39 characters.
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")

FoundBy = Literal["author", "title", "none"]


class TeamsFileError(ConfigError):
    """The course's team file is not valid TOML or not a valid team file (exit 2, like a bad config)."""


def _folder(value: str) -> str:
    path = PurePosixPath(value.replace("\\", "/"))
    if not value.strip() or path.is_absolute() or ".." in path.parts or str(path) in ("", "."):
        raise ValueError(f"{value!r} must be a folder inside the course, without '..'")
    return str(path)


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The team's name: the key of its `[teams.<name>]` table.
    name: str = ""
    #: The team's own folder, relative to the course root (no trailing slash).
    folder: str
    #: GitHub logins of its members.
    members: list[str] = Field(default_factory=list)

    @field_validator("folder")
    @classmethod
    def _inside(cls, value: str) -> str:
        return _folder(value)

    @field_validator("members")
    @classmethod
    def _logins(cls, value: list[str]) -> list[str]:
        for login in value:
            if not LOGIN.match(login):
                raise ValueError(f"{login!r} is not a GitHub login")
        return value

    def holds(self, path: str) -> bool:
        """Whether `path` (relative to the course root) is inside the team's folder."""
        return path == self.folder or path.startswith(self.folder + "/")


class Teams(BaseModel):
    """Every team of the course, by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    teams: dict[str, Team] = Field(default_factory=dict)
    #: Where the file was read (for messages): `teams.toml` at the base revision.
    path: str = Field(default="teams.toml", exclude=True)

    def by_member(self, login: str) -> Team | None:
        folded = login.casefold()
        return next((t for t in self.teams.values() if folded in (m.casefold() for m in t.members)), None)

    def by_name(self, name: str) -> Team | None:
        folded = row_key_part(name)
        return next((t for t in self.teams.values() if row_key_part(t.name) == folded), None)

    def owner_of(self, path: str) -> Team | None:
        """The team whose folder holds `path`, if any."""
        return next((t for t in self.teams.values() if t.holds(path)), None)


def _line_of(text: str, name: str | None, key: str | None) -> int | None:
    """The line of `[teams.<name>]` (or of `key` inside it), so an error points where to fix it."""
    lines = text.splitlines()
    start = 0
    if name is not None:
        header = re.compile(rf"""^\s*\[\s*teams\s*\.\s*["']?{re.escape(name)}["']?\s*\]""")
        found = next((n for n, line in enumerate(lines) if header.match(line)), None)
        if found is None:
            return None
        start = found
        if key is None:
            return found + 1
    if key is not None:
        for n in range(start, len(lines)):
            if n > start and lines[n].lstrip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[n]):
                return n + 1
    return start + 1 if name is not None else None


def parse_teams(data: bytes, where: str) -> Teams:
    """The team file's bytes, checked; `TeamsFileError` with the line to fix when it is not valid."""
    import tomllib

    path = Path(where)
    try:
        text = data.decode("utf-8")
        parsed = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise TeamsFileError(path, f"not UTF-8 ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (None, None)
        raise TeamsFileError(path, f"not valid TOML: {exc}", line, col) from None
    raw = parsed.get("teams", {})
    if not isinstance(raw, dict) or set(parsed) - {"teams"}:
        extra = sorted(set(parsed) - {"teams"})
        what = f"unknown key(s) {extra}" if extra else "`teams` must be a table"
        raise TeamsFileError(path, f"{what}: write one `[teams.<name>]` table per team", 1)
    teams: dict[str, Team] = {}
    for name, body in raw.items():
        if not isinstance(body, dict):
            raise TeamsFileError(path, f"teams.{name}: must be a table", _line_of(text, name, None))
        try:
            teams[name] = Team.model_validate({**body, "name": name})
        except ValidationError as exc:
            first = exc.errors()[0]
            key = str(first["loc"][0]) if first["loc"] else None
            message = first["msg"].removeprefix("Value error, ")
            raise TeamsFileError(path, f"teams.{name}.{key}: {message}", _line_of(text, name, key)) from None
    _check_distinct(teams, text, path)
    return Teams(teams=teams, path=where)


def _check_distinct(teams: dict[str, Team], text: str, path: Path) -> None:
    """One team per login and per folder: otherwise a PR's team, or a file's owner, is ambiguous."""
    seen: dict[str, str] = {}
    for team in teams.values():
        for login in team.members:
            other = seen.setdefault(login.casefold(), team.name)
            if other != team.name:
                raise TeamsFileError(
                    path,
                    f"{login!r} is a member of both {other!r} and {team.name!r}",
                    _line_of(text, team.name, "members"),
                )
    listed = list(teams.values())
    for index, first in enumerate(listed):
        for second in listed[index + 1 :]:
            if second.holds(first.folder) or first.holds(second.folder):
                raise TeamsFileError(
                    path,
                    f"the folders of {first.name!r} ({first.folder}) and {second.name!r} "
                    f"({second.folder}) overlap",
                    _line_of(text, second.name, "folder"),
                )


@dataclass(frozen=True)
class TeamIdentity:
    """The PR's team as found, and how: by its author, by its title, or not at all."""

    name: str | None
    folder: str | None
    found_by: FoundBy
    author: str | None = None
    #: Why no team was found, or why the title's team was refused (for the `team-unknown` problem).
    refused_title_team: str | None = None

    @property
    def known(self) -> bool:
        return self.name is not None


def team_from_title(title: str, config: RulesConfig) -> str | None:
    """The team a PR title names, or None; a name that could leave the submissions folder is refused."""
    match = re.search(config.title_pattern, title)
    if not match or not match.group("team"):
        return None
    team = match.group("team").strip()
    if team in ("", ".", "..") or any(char in team for char in "/\\\x00:"):
        return None
    return team


def default_folder(team: str, config: RulesConfig) -> str:
    return f"{config.submissions_dir.strip('/')}/{team}"


def identify_team(
    *, author: str | None, title: str | None, teams: Teams | None, config: RulesConfig
) -> TeamIdentity:
    """The PR's team: its author's, else the one its title names (see the module's notes), else none."""
    if teams is not None and author:
        team = teams.by_member(author)
        if team is not None:
            return TeamIdentity(team.name, team.folder, "author", author)
    named = team_from_title(title, config) if title else None
    if named is None:
        return TeamIdentity(None, None, "none", author)
    if teams is None:
        return TeamIdentity(named, default_folder(named, config), "title", author)
    team = teams.by_name(named)
    if team is None:
        return TeamIdentity(None, None, "none", author)
    if author and team.members:
        # The title names a team that lists its members, and the author is not one of them.
        return TeamIdentity(None, None, "none", author, refused_title_team=team.name)
    return TeamIdentity(team.name, team.folder, "title", author)


#: No team found: ownership is judged on what the pull request itself adds.
NO_TEAM = TeamIdentity(None, None, "none")


# --- the manifest a team without one should add ------------------------------------------------------

_TASK_BY_METRIC = {
    "wer": "speech-recognition",
    "cer": "speech-recognition",
    "bleu": "text-generation",
    "ppl": "language-modeling",
    "exact_match": "text-generation",
    "precision": "token-classification",
    "recall": "token-classification",
    "accuracy": "text-classification",
}
#: The tasks a manifest may name (`bench.tasks`), for the template's comment.
_TASKS = (
    "text-classification | token-classification | image-classification | language-modeling | "
    "text-to-speech | speech-recognition | text-generation | generic"
)


def _task_of(row: Row) -> str:
    """The task a row's quality metrics suggest: NISQA scores mean speech was made (text-to-speech)."""
    if any(m.name.casefold().startswith("nisqa") for m in row.quality):
        return "text-to-speech"
    keys = [metric_key(m.name) for m in row.quality]
    return next((_TASK_BY_METRIC[key] for key in keys if key in _TASK_BY_METRIC), "generic")


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string: quotes, backslashes and control characters escaped alike.
    return json.dumps(text, ensure_ascii=False)


def manifest_template(team: str, rows: Sequence[Row]) -> str:
    """`bench.toml` declaring `rows` (model, method), with the task guessed from their quality metrics.

    `entry` and `data` name the files a team usually writes; the comments say what to fill in.
    """
    lines = [
        "# The rows this team adds to the comparison table, and how the validator re-runs each of them.",
        "# Fill in `entry` (file.py:Class with load() and predict()) and `data` (JSON lines).",
        f"team = {_toml_string(team)}",
    ]
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if row.key in seen:
            continue
        seen.add(row.key)
        task = _task_of(row)
        lines += [
            "",
            "[[run]]",
            f"model = {_toml_string(row.model)}",
            f"method = {_toml_string(row.method or '')}",
            'entry = "bench.py:Submission"',
            f'task = "{task}"  # {_TASKS}',
            'data = "data/eval.jsonl"',
        ]
    return "\n".join(lines) + "\n"
