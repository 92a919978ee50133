"""`sijill normalize`: a CSV in, the same CSV with identity fields normalised out, and a summary.

A data officer uses it to see what Sijill will make of a file before encoding it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sijill import identity
from sijill.spreadsheet import write_csv
from sijill.tabular import read_csv

KINDS: dict[str, Callable[[str], str]] = {
    "name": identity.normalize_text,
    "date": lambda v: str(identity.parse_date(v)),
    "national_id": identity.national_id,
    "governorate": identity.governorate,
    "sex": identity.sex,
}

# Column headers ministries use, normalised, to the kind of value they hold.
HEADER_KINDS = {
    "name": [
        "name", "full_name", "given_name", "first_name", "father_name", "grandfather_name", "surname",
        "family_name", "last_name", "mother_name", "laqab",
        "الاسم", "الاسم الكامل", "الاسم الرباعي", "الاسم الثلاثي", "اسم الاب", "اسم الجد", "اللقب",
        "اسم الام", "اسم الام الثنائي",
    ],
    "date": ["birth_date", "date_of_birth", "dob", "تاريخ الميلاد", "تاريخ التولد", "المواليد"],
    "national_id": ["national_id", "national_number", "nid", "الرقم الوطني", "رقم البطاقة الوطنية"],
    "governorate": ["governorate", "province", "المحافظة", "محافظة السكن"],
    "sex": ["sex", "gender", "الجنس"],
}


def _header_key(h: str) -> str:
    return identity.normalize_text(h.replace("_", " "))


_BY_HEADER = {_header_key(h): kind for kind, headers in HEADER_KINDS.items() for h in headers}


@dataclass
class FieldSummary:
    column: str
    kind: str
    changed: int = 0
    unchanged: int = 0
    empty: int = 0
    invalid: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class NormalizeResult:
    rows: int
    encoding: str
    fields: list[FieldSummary]
    errors: list[dict[str, str]]


def guess_kinds(header: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Which columns hold identity fields, from their headers, with the user's overrides on top."""
    kinds = {h: _BY_HEADER[_header_key(h)] for h in header if _header_key(h) in _BY_HEADER}
    for column, kind in (overrides or {}).items():
        if column not in header:
            raise ValueError(f"column {column!r} is not in the file (columns: {', '.join(header)})")
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} for {column!r}; choose from {', '.join(KINDS)}")
        kinds[column] = kind
    return kinds


def normalize_csv(
    src: Path, dst: Path, *, encoding: str | None = None, overrides: dict[str, str] | None = None,
    errors_path: Path | None = None,
) -> NormalizeResult:
    """Normalise the identity columns of ``src`` into ``dst``; invalid values go to the error report.

    An invalid value is left empty in ``dst`` and kept, with its row and reason, in the report.
    """
    header, rows, used = read_csv(src, encoding)
    kinds = guess_kinds(header, overrides)
    summaries = {c: FieldSummary(c, k) for c, k in kinds.items()}
    errors: list[dict[str, str]] = []
    count = 0

    def normalized():
        nonlocal count
        for count, row in enumerate(rows, start=1):
            out = dict(row)
            for column, kind in kinds.items():
                value = (row.get(column) or "").strip()
                out[column] = _normalize_cell(value, KINDS[kind], summaries[column], errors, src, count + 1)
            yield out

    write_csv(dst, header, normalized())  # streams: the file is never held in memory
    if errors:
        report = errors_path or dst.with_suffix(".errors.csv")
        write_csv(report, ["file", "row", "field", "value", "reason"], errors)
    return NormalizeResult(rows=count, encoding=used, fields=list(summaries.values()), errors=errors)


def _normalize_cell(value, normalizer, summary: FieldSummary, errors: list, src: Path, line: int) -> str:
    if not value:
        summary.empty += 1
        return ""
    try:
        new = normalizer(value)
    except identity.IdentityError as e:
        summary.invalid += 1
        errors.append({"file": str(src), "row": str(line), "field": summary.column, "value": value,
                       "reason": e.reason})
        return ""
    if new == value:
        summary.unchanged += 1
    else:
        summary.changed += 1
        if len(summary.examples) < 3:
            summary.examples.append((value, new))
    return new
