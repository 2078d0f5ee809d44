"""Counted words: one helper, correct in both languages."""

from __future__ import annotations

import pytest

from validator.plural import CORE, ERROR, ROW, THREAD, plural_en, plural_ru

FORMS = ("строка", "строки", "строк")


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (0, "строк"),
        (1, "строка"),
        (2, "строки"),
        (4, "строки"),
        (5, "строк"),
        (11, "строк"),
        (12, "строк"),
        (14, "строк"),
        (21, "строка"),
        (22, "строки"),
        (25, "строк"),
        (101, "строка"),
        (111, "строк"),
        (112, "строк"),
        (1000, "строк"),
        (1001, "строка"),
    ],
)
def test_russian_forms(n: int, word: str) -> None:
    assert plural_ru(n, FORMS) == word


def test_english_forms() -> None:
    assert [plural_en(n, ("row", "rows")) for n in (0, 1, 2)] == ["rows", "row", "rows"]


def test_counted_nouns() -> None:
    assert ROW.count(1) == "1 row"
    assert ROW.count(5000) == "5000 rows"
    assert CORE.count(2, "ru") == "2 ядра"
    assert THREAD.count(2, "ru") == "2 потока"
    assert ERROR.count(1, "ru") == "1 ошибка"
    assert ERROR.count(0, "ru") == "0 ошибок"
