"""Questionnaires in XLSForm, read with pyxform (the library behind ODK and KoboToolbox), turned into the
"spec" the phone's form is drawn from and every interview is checked against: the questions in order with
their types, labels (Arabic and English), choice lists, required flags, skip logic (``relevant``) and
constraints, both parsed into expression trees (``expressions.py``).

Answers are a dict: one value per question (a select_multiple is its choices separated by spaces, as in
XForms) and, for the repeat (the household's members), a list of dicts.
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyxform import xls2json
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from sijill.identity import to_ascii_digits as ascii_digits

from . import expressions

TYPES = {"text", "integer", "decimal", "select one", "select all that apply", "date", "note"}
SKIPPED = {"calculate", "start", "end", "today", "deviceid", "username", "phonenumber", "audit"}
SUFFIXES = (".xlsx", ".xls", ".md", ".csv")
_LANG = re.compile(r"\((\w{2,3})\)\s*$")


class FormError(ValueError):
    """The XLSForm cannot be used; the message names the question and says why."""


@dataclass
class Problem:
    """An answer that the questionnaire refuses: ``where`` is the question (``members[2].age`` in a repeat)."""

    where: str
    message: dict

    def text(self, language: str = "ar") -> str:
        return f"{self.where}: {label(self.message, language)}"


def label(texts: dict | str | None, language: str = "ar") -> str:
    if not texts:
        return ""
    if isinstance(texts, str):
        return texts
    return texts.get(language) or texts.get("ar") or texts.get("en") or next(iter(texts.values()), "")


def _texts(value) -> dict:
    """pyxform's {"Arabic (ar)": ...} labels keyed by language code."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"ar": value}
    out = {}
    for key, text in value.items():
        m = _LANG.search(key)
        out[m.group(1) if m else key] = text
    return out


def read(path: Path | str) -> dict:
    """Read an XLSForm file (xlsx, xls, md or csv) into a spec; ``FormError`` if pyxform or this loader
    refuses it."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise FormError(f"{path.name}: an XLSForm is an .xlsx, .xls, .md or .csv file")
    try:
        result = convert(xlsform=str(path))  # the full XForm conversion: pyxform's own checks
        survey = xls2json.parse_file_to_json(str(path))
    except PyXFormError as e:
        raise FormError(f"{path.name}: {e}") from None
    except Exception as e:  # an unreadable workbook
        raise FormError(f"{path.name}: cannot be read as an XLSForm ({type(e).__name__}: {e})") from None
    spec = {"form_id": survey.get("id_string") or survey.get("name"), "version": str(survey.get("version") or ""),
            "title": _texts(survey.get("title")), "questions": [], "warnings": list(result.warnings or [])}
    if not spec["version"]:
        raise FormError(f"{path.name}: the settings sheet must give a version (recorded with every interview)")
    _walk(survey.get("children", []), spec["questions"], repeat=None, path=path.name)
    _check_references(spec, path.name)
    return spec


def read_bytes(data: bytes, filename: str) -> dict:
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"form{suffix}"
        target.write_bytes(data)
        try:
            return read(target)
        except FormError as e:
            raise FormError(str(e).replace(target.name, filename, 1)) from None


def _walk(children: list, out: list, repeat: str | None, path: str) -> None:
    for child in children:
        kind, name = child.get("type"), child.get("name")
        if kind == "group":
            if name != "meta":
                _walk(child.get("children", []), out, repeat, path)
            continue
        if kind == "repeat":
            if repeat:
                raise FormError(f"{path}: {name}: a repeat inside a repeat is not supported")
            out.append(_question(child, "repeat", None, path))
            _walk(child.get("children", []), out, name, path)
            continue
        if kind in SKIPPED:
            continue
        if kind not in TYPES:
            raise FormError(f"{path}: {name}: the question type {kind!r} is not supported on the phone form")
        out.append(_question(child, kind, repeat, path))


def _question(child: dict, kind: str, repeat: str | None, path: str) -> dict:
    bind = child.get("bind") or {}
    name = child["name"]
    question = {"name": name, "type": kind, "repeat": repeat, "label": _texts(child.get("label")),
                "hint": _texts(child.get("hint")), "required": str(bind.get("required", "")).lower() in (
                    "yes", "true", "true()"),
                "choices": [{"name": c["name"], "label": _texts(c.get("label"))} for c in child.get("choices", [])],
                "constraint_message": _texts(bind.get("jr:constraintMsg"))}
    for key in ("relevant", "constraint"):
        text = bind.get(key)
        try:
            question[key] = expressions.parse(text) if text else None
        except expressions.ExpressionError as e:
            raise FormError(f"{path}: {name}: {key} {text!r}: {e}") from None
    return question


def _check_references(spec: dict, path: str) -> None:
    names = {q["name"] for q in spec["questions"]}
    for q in spec["questions"]:
        for key in ("relevant", "constraint"):
            if q[key]:
                missing = expressions.references(q[key]) - names
                if missing:
                    raise FormError(f"{path}: {q['name']}: {key} names unknown questions {sorted(missing)}")


def shown(q: dict, value, language: str = "ar") -> str:
    """An answer as people read it: a choice's label rather than its name."""
    if q["choices"] and value not in (None, ""):
        labels = {c["name"]: label(c["label"], language) for c in q["choices"]}
        return "، ".join(labels.get(v, v) for v in str(value).split())
    return "" if value is None else str(value)


def questions(spec: dict, repeat: str | None = None) -> list[dict]:
    return [q for q in spec["questions"] if q["repeat"] == repeat]


def check(spec: dict, answers: dict) -> tuple[dict, list[Problem]]:
    """The answers kept (those of questions that are relevant, typed) and the problems found. An answer to a
    question skipped by its ``relevant`` is dropped, as the phone does."""
    clean: dict = {}
    problems: list[Problem] = []
    top = questions(spec)
    for q in top:
        if q["type"] == "repeat":
            rows = answers.get(q["name"]) or []
            if not isinstance(rows, list):
                problems.append(Problem(q["name"], {"ar": "يجب أن تكون قائمة", "en": "must be a list"}))
                continue
            if not _relevant(q, clean, None):
                continue
            kept = []
            for i, row in enumerate(rows, 1):
                row = row if isinstance(row, dict) else {}
                row_clean: dict = {}
                for sub in questions(spec, q["name"]):
                    _answer(sub, row.get(sub["name"]), row_clean, clean, f"{q['name']}[{i}].{sub['name']}",
                            problems)
                kept.append(row_clean)
            clean[q["name"]] = kept
            continue
        _answer(q, answers.get(q["name"]), clean, None, q["name"], problems)
    return clean, problems


def _lookup(row: dict, top: dict | None):
    def lookup(name):
        if name in row:
            return row[name]
        return (top or {}).get(name)
    return lookup


def _relevant(q: dict, row: dict, top: dict | None) -> bool:
    return q["relevant"] is None or expressions.truthy(expressions.evaluate(q["relevant"], _lookup(row, top)))


REQUIRED = {"ar": "الإجابة مطلوبة", "en": "an answer is required"}
NOT_NUMBER = {"ar": "ليس رقماً", "en": "is not a number"}
NOT_CHOICE = {"ar": "ليس من الخيارات", "en": "is not one of the choices"}
CONSTRAINT = {"ar": "الإجابة لا تحقق الشرط", "en": "the answer breaks the question's constraint"}


def _answer(q: dict, raw, row: dict, top: dict | None, where: str, problems: list[Problem]) -> None:
    if q["type"] == "note" or not _relevant(q, row, top):
        return
    before = len(problems)
    value = _typed(q, raw, where, problems)
    if value is None:
        if q["required"] and len(problems) == before:  # an unreadable answer is reported once
            problems.append(Problem(where, REQUIRED))
        return
    row[q["name"]] = value
    if q["constraint"] is not None and not expressions.truthy(
            expressions.evaluate(q["constraint"], _lookup(row, top), value)):
        problems.append(Problem(where, q["constraint_message"] or CONSTRAINT))
        del row[q["name"]]


def _typed(q: dict, raw, where: str, problems: list[Problem]):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = q["type"]
    if kind in ("integer", "decimal"):
        text = ascii_digits(str(raw)).replace("٬", "").replace(",", "").strip()
        try:
            number = float(text)
        except ValueError:
            problems.append(Problem(where, NOT_NUMBER))
            return None
        if not math.isfinite(number) or (kind == "integer" and number != int(number)):
            problems.append(Problem(where, NOT_NUMBER))
            return None
        return int(number) if kind == "integer" else number
    names = {c["name"] for c in q["choices"]}
    if kind == "select one":
        if str(raw) not in names:
            problems.append(Problem(where, NOT_CHOICE))
            return None
        return str(raw)
    if kind == "select all that apply":
        picked = raw if isinstance(raw, list) else str(raw).split()
        if any(str(p) not in names for p in picked):
            problems.append(Problem(where, NOT_CHOICE))
            return None
        return " ".join(str(p) for p in picked) or None
    return str(raw).strip()[:2000]
