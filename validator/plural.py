"""Counted words in English and Russian: `1 row`, `2 rows`; `1 строка`, `2 строки`, `5 строк`.

Every count a reporter renders goes through `Noun.count`, so no message says `1 rows` or `2 ядер`.
Russian has three forms, chosen by the last two digits: one (1, 21, 101), few (2–4, 22–24) and
many (0, 5–20, 25–30, 111–114).
"""

from __future__ import annotations

from dataclasses import dataclass


def plural_en(n: int, forms: tuple[str, str]) -> str:
    """The English form for n: `forms[0]` for exactly one, else `forms[1]`."""
    return forms[0] if abs(n) == 1 else forms[1]


def plural_ru(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian form for n, from (one, few, many): ("строка", "строки", "строк")."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


@dataclass(frozen=True)
class Noun:
    """A countable word in both languages."""

    en: tuple[str, str]
    ru: tuple[str, str, str]

    def word(self, n: int, language: str = "en") -> str:
        return plural_ru(n, self.ru) if language == "ru" else plural_en(n, self.en)

    def count(self, n: int, language: str = "en") -> str:
        """`2 rows`, `2 строки`."""
        return f"{n} {self.word(n, language)}"


ROW = Noun(("row", "rows"), ("строка", "строки", "строк"))
ERROR = Noun(("error", "errors"), ("ошибка", "ошибки", "ошибок"))
WARNING = Noun(("warning", "warnings"), ("предупреждение", "предупреждения", "предупреждений"))
CORE = Noun(("core", "cores"), ("ядро", "ядра", "ядер"))
THREAD = Noun(("thread", "threads"), ("поток", "потока", "потоков"))
REPORT = Noun(("report", "reports"), ("отчёт", "отчёта", "отчётов"))
SAMPLE = Noun(("sample", "samples"), ("пример", "примера", "примеров"))
REPEAT = Noun(("repeat", "repeats"), ("повтор", "повтора", "повторов"))
CALL = Noun(("call", "calls"), ("вызов", "вызова", "вызовов"))
LINE = Noun(("line", "lines"), ("строка", "строки", "строк"))
FILE = Noun(("file", "files"), ("файл", "файла", "файлов"))
