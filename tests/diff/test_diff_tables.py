"""`diff_tables`: rows matched by (model, method), reordering ignored, format-only edits told apart."""

from __future__ import annotations

from validator.check import check_bytes
from validator.diff import diff_tables
from validator.model import CheckReport

from .gitrepo import BERT, BERT_INT8, TEMPLATE, VIT, readme


def report(text: str) -> CheckReport:
    return check_bytes(text.encode(), "README.md")


def test_added_changed_removed_and_reordering() -> None:
    base = report(readme(TEMPLATE, BERT, VIT))
    changed_vit = VIT.replace("203.06Mb", "410.5Mb")
    head = report(readme(changed_vit, BERT, BERT_INT8))
    diff = diff_tables(base, head)
    assert [r.key for r in diff.added] == [("dslim/bert-large-ner", "quantized int8")]
    assert [r.model for r in diff.removed] == ["your model name"]
    assert diff.removed[0].line == 8  # a line of the base file
    assert len(diff.changed) == 1
    change = diff.changed[0]
    assert change.fields == ["ram"]
    assert not change.format_only
    assert change.before.ram is not None
    assert change.before.ram.value == 203.06
    assert change.after.ram is not None
    assert change.after.ram.value == 410.5
    assert change.after.line == 8  # moved to the top of the table: a line of the head file


def test_an_edit_of_the_writing_only_is_format_only() -> None:
    base = report(readme(BERT))
    head = report(readme(BERT.replace("1.33Gb", "1.33 GB").replace("769.1ms", "769.1 ms")))
    (change,) = diff_tables(base, head).changed
    assert change.format_only
    assert change.fields == ["weights_size", "cpu_speed"]


def test_realigning_the_table_is_no_change() -> None:
    base = report(readme(BERT, VIT))
    head = report(readme(BERT.replace(" | ", "   |   "), VIT))
    diff = diff_tables(base, head)
    assert (diff.added, diff.changed, diff.removed) == ([], [], [])


def test_a_base_without_a_table_adds_every_head_row() -> None:
    base = report("# Lesson 2\n\nNo table here yet.\n")
    head = report(readme(BERT, BERT_INT8))
    diff = diff_tables(base, head)
    assert diff.base_table is None
    assert [r.line for r in diff.added] == [8, 9]
    assert diff.changed == []
    assert diff.removed == []


def test_duplicate_keys_pair_up_in_order() -> None:
    base = report(readme(BERT, BERT))
    head = report(readme(BERT, BERT.replace("2.7Gb", "2.9Gb")))
    diff = diff_tables(base, head)
    assert diff.added == []
    assert diff.removed == []
    (change,) = diff.changed
    assert change.fields == ["ram"]
    assert change.after.line == 9
