"""Words shared by the reporters and the messages of `validator verify`: field names and our own notes."""

from __future__ import annotations

FIELD_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "weights_size": "weights size",
        "cpu_speed": "CPU speed",
        "gpu_speed": "GPU speed",
        "ram": "RAM",
        "vram": "VRAM",
    },
    "ru": {
        "weights_size": "размер весов",
        "cpu_speed": "скорость CPU",
        "gpu_speed": "скорость GPU",
        "ram": "RAM",
        "vram": "VRAM",
    },
}

#: Our own notes (from `validator.compare`), in Russian; numbers inside them are kept.
NOTES_RU: dict[str, str] = {
    "judged by the ratio over the original": "судим по отношению к оригиналу",
    "no ratio over the original to judge it by": "отношения к оригиналу, по которому можно судить, нет",
    ", not this runner: ": ", не на этой машине: ",
    "hardware not stated: ": "железо не указано: ",
    "measured on ": "измерено на ",
    "(same hardware)": "(то же железо)",
    "within": "допуск",
    "(different hardware)": "(другое железо)",
    "the re-run had no GPU": "перезапуск был без GPU",
    "not measured": "не измерено",
    "no claim: suggested value": "не заявлено: предлагаемое значение",
    "the harness does not measure it": "стенд это не измеряет",
    "do not compare": "не сравнимы",
}


def note_text(note: str, language: str) -> str:
    """Translate one of our notes; a note we did not write stays as it is."""
    if language != "ru":
        return note
    for english, russian in NOTES_RU.items():
        note = note.replace(english, russian)
    return note


def field_name(field: str, language: str) -> str:
    """`cpu_speed` -> `CPU speed` / `скорость CPU`; a quality field is its metric's name as written."""
    if field.startswith("quality."):
        return field.removeprefix("quality.")
    return FIELD_NAMES.get(language, FIELD_NAMES["en"]).get(field, field)
