"""Damaan as a data holder in the social registry's cycles: its insured-workers extract, written from its own
records in the columns of the `insured` data holder (sijill/agencies/insured.yaml), so that the holder's usual
`sijill encode --schema example:insured` turns it into the package that feeds the insured-employment rule.

The one module of this app that knows about cycles."""

from __future__ import annotations

from pathlib import Path

from sijill.spreadsheet import write_csv

from .models import DeclarationLine, Employment

AGENCY = "insured"  # the agency code of the cycle's agreement and of the eligibility rule
HEADER = ["رقم السجل", "الاسم الرباعي", "اسم الام", "تاريخ الميلاد", "رقم البطاقة الوطنية", "المحافظة", "الجنس",
          "صاحب العمل", "رقم الضمان", "الأجر الشهري", "تاريخ الشمول"]
SEX = {"M": "ذكر", "F": "أنثى"}


def extract_rows():
    """One row per insured person with an open employment spell: the spell with the highest declared wage (wage
    with allowances of the establishment's latest current declaration, else the wage at hire)."""
    declared: dict[tuple[int, int], tuple] = {}
    for insured_id, est_id, month, wage, allowances in (
            DeclarationLine.objects.filter(declaration__current=True)
            .values_list("insured_id", "declaration__establishment_id", "declaration__month", "wage", "allowances")
            .iterator(chunk_size=20_000)):
        key = (insured_id, est_id)
        if key not in declared or declared[key][0] < month:
            declared[key] = (month, wage + allowances)
    best: dict[int, tuple[int, Employment]] = {}
    for spell in (Employment.objects.filter(end__isnull=True).select_related("insured", "establishment")
                  .iterator(chunk_size=20_000)):
        wage = declared.get((spell.insured_id, spell.establishment_id), (None, spell.wage + spell.allowances))[1]
        if spell.insured_id not in best or best[spell.insured_id][0] < wage:
            best[spell.insured_id] = (wage, spell)
    for wage, spell in best.values():
        p = spell.insured
        yield dict(zip(HEADER, [p.number, p.full_name, p.mother, p.birth_date.isoformat(), p.national_id,
                                p.governorate, SEX.get(p.sex, ""), spell.establishment.name, p.number, wage,
                                spell.start.isoformat()], strict=True))


def write_extract(path: Path) -> int:
    """Write the extract (UTF-8 with BOM, as Excel opens it); returns the number of rows."""
    rows = list(extract_rows())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_csv(Path(path), HEADER, rows)
    return len(rows)
