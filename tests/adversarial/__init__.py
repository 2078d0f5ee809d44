"""Hostile input and hostile submissions: fuzzing, pathological files, escapes (issue 7)."""
