"""The sticky comment against a local GitHub API: PyGithub really talks HTTP to it."""

from __future__ import annotations

import pytest

from tests.github.conftest import BOT, Failure, FakeGitHub
from validator.github import (
    MARKER,
    CannotPostComment,
    CommentIsTooLong,
    GitHubIsUnavailable,
    PullRequestHasMoved,
    Retry,
    TokenCannotWrite,
    TokenIsMissing,
    check_head,
    client,
    post_sticky_comment,
)

REPORT_1 = f"{MARKER}\n## Validator: pass\nfirst run"
REPORT_2 = f"{MARKER}\n## Validator: fail\nsecond run"


def _retry(waits: list[float] | None = None, now: float = 1_700_000_000.0) -> Retry:
    sleeps = waits if waits is not None else []
    return Retry(sleep=sleeps.append, clock=lambda: now)


def test_first_report_creates_one_comment(github_env: FakeGitHub) -> None:
    posted = post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry())
    assert posted.created
    thread = github_env.comments[7]
    assert len(thread) == 1
    assert thread[0]["body"] == REPORT_1
    assert thread[0]["user"]["login"] == BOT
    assert posted.id == thread[0]["id"]


def test_second_run_edits_ours_even_when_a_student_pasted_a_copy(github_env: FakeGitHub) -> None:
    post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry())
    ours = github_env.comments[7][0]
    # The student pastes our comment, marker and all, twice; and another bot posts without the marker.
    github_env.add_comment(7, "student", REPORT_1)
    github_env.add_comment(7, BOT, "Thanks for your PR! Labeler bot here.")
    github_env.add_comment(7, "student", f"{MARKER}\nI fixed it, trust me")

    posted = post_sticky_comment("course/hw", 7, REPORT_2, retry=_retry())

    assert not posted.created
    assert posted.id == ours["id"]
    assert ours["body"] == REPORT_2
    assert len(github_env.comments[7]) == 4
    student_copies = [c for c in github_env.comments[7] if c["user"]["login"] == "student"]
    assert [c["body"] for c in student_copies] == [REPORT_1, f"{MARKER}\nI fixed it, trust me"]
    assert github_env.count("POST", r"/repos/course/hw/issues/7/comments") == 1
    assert github_env.count("GET", "/user") == 0


def test_marker_must_start_the_body(github_env: FakeGitHub) -> None:
    # Our own bot quoting the marker further down (say, in another tool's comment) is not our report.
    github_env.add_comment(7, BOT, f"Some other report\n{MARKER}")
    posted = post_sticky_comment("course/hw", 7, "## body without marker", retry=_retry())
    assert posted.created
    assert github_env.comments[7][1]["body"].startswith(MARKER + "\n## body without marker")


def test_pagination_is_followed_and_the_newest_of_ours_is_edited(github_env: FakeGitHub) -> None:
    github_env.page_size = 3
    older = github_env.add_comment(7, BOT, f"{MARKER}\nold")
    for n in range(7):
        github_env.add_comment(7, "student", f"comment {n}")
    newer = github_env.add_comment(7, BOT, f"{MARKER}\nnewer")  # on page 3 of 3
    github_env.add_comment(7, "student", "last")

    posted = post_sticky_comment("course/hw", 7, REPORT_2, retry=_retry())

    assert posted.id == newer["id"]
    assert newer["body"] == REPORT_2
    assert older["body"] == f"{MARKER}\nold"
    assert github_env.count("GET", r"/repos/course/hw/issues/7/comments") == 4  # 4 pages of 3 over 10


def test_configured_author(github_env: FakeGitHub) -> None:
    github_env.tokens["app-token"] = "course-validator[bot]"
    github_env.add_comment(7, BOT, f"{MARKER}\nposted by the default bot")
    gh = client("app-token", github_env.api)
    posted = post_sticky_comment(
        "course/hw", 7, REPORT_1, author="course-validator[bot]", github=gh, retry=_retry()
    )
    assert posted.created
    assert github_env.comments[7][-1]["user"]["login"] == "course-validator[bot]"


def test_server_errors_are_retried(github_env: FakeGitHub) -> None:
    github_env.failures.append(
        Failure("GET", r"/repos/course/hw/issues/7/comments", 502, {"message": "Server Error"}, times=2)
    )
    waits: list[float] = []
    posted = post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry(waits))
    assert posted.created
    assert waits == [2.0, 4.0]
    assert len(github_env.comments[7]) == 1


def test_a_create_that_failed_late_is_not_repeated(github_env: FakeGitHub) -> None:
    github_env.failures.append(
        Failure(
            "POST", r"/repos/course/hw/issues/7/comments", 504, {"message": "Gateway Timeout"}, applied=True
        )
    )
    posted = post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry())
    assert not posted.created  # found on the retry's listing, and edited
    assert len(github_env.comments[7]) == 1
    assert github_env.count("POST", r"/repos/course/hw/issues/7/comments") == 1


def test_secondary_rate_limit_honours_retry_after(github_env: FakeGitHub) -> None:
    github_env.failures.append(
        Failure(
            "POST",
            r"/repos/course/hw/issues/7/comments",
            403,
            {
                "message": "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            },
            {"retry-after": "17"},
        )
    )
    waits: list[float] = []
    posted = post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry(waits))
    assert posted.created
    assert waits == [17.0]
    assert len(github_env.comments[7]) == 1


def test_rate_limit_waits_until_reset(github_env: FakeGitHub) -> None:
    now = 1_700_000_000.0
    github_env.failures.append(
        Failure(
            "GET",
            r"/repos/course/hw/issues/7/comments",
            403,
            {"message": "API rate limit exceeded for installation ID 1."},
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 42)},
        )
    )
    waits: list[float] = []
    post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry(waits, now))
    assert waits == [43.0]


def test_gives_up_after_the_attempts(github_env: FakeGitHub) -> None:
    github_env.failures.append(
        Failure("GET", r"/repos/course/hw/issues/7/comments", 503, {"message": "Unavailable"}, times=99)
    )
    waits: list[float] = []
    with pytest.raises(GitHubIsUnavailable, match="5 attempt"):
        post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry(waits))
    assert len(waits) == 4
    assert 7 not in github_env.comments


def test_read_only_token_is_a_403(github_env: FakeGitHub) -> None:
    github_env.read_only = True
    waits: list[float] = []
    with pytest.raises(TokenCannotWrite, match="fork"):
        post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry(waits))
    assert waits == []  # a plain 403 is not retried


def test_we_never_edit_someone_elses_comment(github_env: FakeGitHub) -> None:
    student = github_env.add_comment(7, "student", REPORT_1)
    post_sticky_comment("course/hw", 7, REPORT_2, retry=_retry())
    assert student["body"] == REPORT_1
    assert github_env.count("PATCH", r"/repos/course/hw/issues/comments/\d+") == 0


def test_body_too_long_422(github_env: FakeGitHub) -> None:
    github_env.max_body = 100
    with pytest.raises(CommentIsTooLong, match="422"):
        post_sticky_comment("course/hw", 7, REPORT_1 + "x" * 200, retry=_retry())


def test_body_over_githubs_limit_is_refused_before_sending(github_env: FakeGitHub) -> None:
    with pytest.raises(CommentIsTooLong, match="65536"):
        post_sticky_comment("course/hw", 7, "x" * 70_000, retry=_retry())
    assert github_env.requests == []


def test_missing_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with pytest.raises(TokenIsMissing):
        post_sticky_comment("course/hw", 7, REPORT_1)


def test_bad_token(github_env: FakeGitHub) -> None:
    gh = client("stolen", github_env.api)
    with pytest.raises(CannotPostComment, match="refused"):
        post_sticky_comment("course/hw", 7, REPORT_1, github=gh, retry=_retry())


def test_check_head(github_env: FakeGitHub) -> None:
    github_env.pulls[7] = "a" * 40
    check_head("course/hw", 7, "a" * 40, retry=_retry())
    with pytest.raises(PullRequestHasMoved):
        check_head("course/hw", 7, "c" * 40, retry=_retry())


@pytest.mark.parametrize(
    ("value", "wait"), [("nan", 2.0), ("inf", 2.0), ("soon", 2.0), ("-5", 0.0), ("3", 3.0)]
)
def test_odd_retry_after_values(github_env: FakeGitHub, value: str, wait: float) -> None:
    github_env.failures.append(
        Failure(
            "GET", r"/repos/course/hw/issues/7/comments", 503, {"message": "busy"}, {"retry-after": value}
        )
    )
    waits: list[float] = []
    post_sticky_comment("course/hw", 7, REPORT_1, retry=_retry(waits))
    assert waits == [wait]


# --- sections: the CPU and the GPU re-run share the comment -------------------------------------


def test_sections_replace_only_their_own() -> None:
    from validator.github import MARKER, merged_body, sections_of

    cpu = merged_body(None, "cpu", "## ✅ Benchmark verification: pass\n\nCPU numbers\n")
    both = merged_body(cpu, "cuda", "## ❌ Benchmark verification: fail\n\nno CUDA device")
    assert both.startswith(MARKER + "\n<!-- validator:section cpu -->\n")
    assert sections_of(both) == {
        "cpu": "## ✅ Benchmark verification: pass\n\nCPU numbers",
        "cuda": "## ❌ Benchmark verification: fail\n\nno CUDA device",
    }
    again = merged_body(both, "cpu", "new CPU numbers")
    assert sections_of(again) == {"cpu": "new CPU numbers", "cuda": sections_of(both)["cuda"]}
    # A comment from before sections were kept is replaced by the new section.
    assert sections_of(merged_body(f"{MARKER}\nold report", "cuda", "gpu")) == {"cuda": "gpu"}
