"""The local fake GitHub of tests/github, for the marker-spoofing tests here."""

from tests.github.conftest import fake_github, github_env

__all__ = ["fake_github", "github_env"]
