"""Course settings: validator.toml or [tool.validator], defaults fitting the course as published."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.config import Config, ConfigError, load_config


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config()
    assert config.language == "en"
    assert "Таблица сравнения" in config.table.heading
    assert config.compare.tolerances["weights_size"].relative == 0.05


def test_validator_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "validator.toml").write_text('language = "ru"\n', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.validator]\nlanguage = "en"\n', encoding="utf-8")
    assert load_config(tmp_path).language == "ru"


def test_aliases_and_tolerances_merge_with_defaults(tmp_path: Path) -> None:
    (tmp_path / "validator.toml").write_text(
        '[table.aliases]\nweights_size = ["Вес чекпоинта"]\n'
        "[compare.tolerances.weights_size]\nrelative = 0.1\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.table.aliases == {"weights_size": ["Вес чекпоинта"]}
    assert config.compare.tolerances["weights_size"].relative == 0.1
    assert config.compare.tolerances["ratio"].relative == 0.2


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("language = 'fr'\n", "language: Input should be 'en' or 'ru'", 1),
        ("[table.aliases]\nsize = ['x']\n", "unknown field(s) ['size']", None),
        ("[rules]\ntitle_pattern = '(?P<x>.*)'\n", "needs a named group (?P<team>...)", 2),
        ("language = \n", "not valid TOML", 1),
    ],
)
def test_invalid_settings_say_where(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    (tmp_path / "validator.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert message in str(info.value)
    assert info.value.line == line
