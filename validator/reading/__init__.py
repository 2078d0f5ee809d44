"""Reading a course README: bytes -> text -> Markdown tables -> typed rows of the data model, and problems.

| module | what it holds |
|---|---|
| `source.py` | bytes -> text: BOM, invalid UTF-8, NUL bytes, mojibake repair |
| `gfm.py` | markdown-it-py with the vendored GFM table rule; cell splitting and cell text |
| `headers.py` | header cells -> canonical fields, units and metric names (the alias table) |
| `cells.py` | the cell grammar: quantities, quality metrics, placeholders |
| `rows.py` | a comparison table's body rows -> `Row`s |
| `tables.py` | finding a file's tables and reading them (`read_tables`) |
| `limits.py` | limits on hostile input, the bounded problem list |

This package depends only on the model layer (`validator.model`, `units`, `metrics`, `problems`, the
config sections), never on the jobs that use it.
"""

from validator.reading.cells import format_metric, is_placeholder, parse_quality, parse_quantity
from validator.reading.headers import AliasTable, HeaderInfo, parse_header
from validator.reading.source import Source, decode
from validator.reading.tables import read_tables

__all__ = [
    "AliasTable",
    "HeaderInfo",
    "Source",
    "decode",
    "format_metric",
    "is_placeholder",
    "parse_header",
    "parse_quality",
    "parse_quantity",
    "read_tables",
]
