"""The small world of the encoding tests: a registry, a court, their records and schemas (data and helpers)."""

from __future__ import annotations

import csv
from pathlib import Path

from sijill.pprl.format import load_schema
from sijill.pprl.holder import EncodeResult, HolderKeys, encode

# The registry's beneficiaries. The court (below) holds some of them, written as its clerks write them.
REGISTRY = [
    # id, national id, given, father, grandfather, surname, mother, birth date, sex, governorate, household
    ("B001", "198503021234", "محمد", "جاسم", "حسين", "الجبوري", "فاطمة كاظم", "1985-03-02", "ذكر", "بغداد", "H1"),
    ("B002", "199001150021", "زينب", "علي", "حسن", "", "مريم عباس", "15/01/1990", "أنثى", "البصرة", "H2"),
    ("B003", "197707070707", "محمد علي", "كريم", "عبد الله", "الموسوي", "زهراء جواد", "1977", "ذكر", "النجف", "H3"),
    ("B004", "200112250099", "حيدر", "صادق", "مهدي", "التميمي", "خديجة ناصر", "2001-12-25", "ذكر", "ذي قار", "H4"),
    ("B005", "196406300064", "سعاد", "مجيد", "رشيد", "العبيدي", "نجاة حميد", "30/06/1964", "أنثى", "نينوى", "H5"),
]
REGISTRY_HEADER = ["beneficiary_id", "national_id", "given", "father", "grandfather", "surname", "mother",
                   "birth_date", "sex", "governorate", "household"]

# The court's marriage contracts: B001 with a variant spelling, B002 in Latin-free Arabic with Indic digits,
# and one person the registry does not know.
COURT = [
    ("C-17", "١٩٨٥٠٣٠٢١٢٣٤", "مُحَمَّد جاسم حسين الجبوري", "فاطمه كاظم", "02/03/1985", "Karkh", "2024-03-02"),
    ("C-18", "199001150021", "زينب علي حسن", "مريم", "1990-01-15", "Basra", "2023-11-20"),
    ("C-19", "188888888881", "عمر خالد وليد", "سلمى", "1995-05-05", "Mosul", "2024-01-09"),
]
COURT_HEADER = ["contract_no", "الرقم الوطني", "الاسم الرباعي", "اسم الام", "تاريخ الميلاد", "court", "contract_date"]

REGISTRY_SCHEMA = """
agency: registry
record_id: beneficiary_id
fields:
  national_id: national_id
  given_name: given
  father_name: father
  grandfather_name: grandfather
  surname: surname
  mother_name: mother
  birth_date: birth_date
  sex: sex
  governorate: governorate
payload: [household]
package: {pad_to: 50, dummy_share: 0.2}
"""

COURT_SCHEMA = """
agency: courts
record_id: contract_no
fields:
  national_id: الرقم الوطني
  full_name: الاسم الرباعي
  mother_name: اسم الام
  birth_date: تاريخ الميلاد
payload: [court, contract_date]
package: {pad_to: 50, dummy_share: 0.2}
"""


def write_csv(path: Path, header: list[str], rows, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def encode_file(world: Path, who: str, out: Path, *, schema: str | None = None, keys: str | None = None,
                **kwargs) -> EncodeResult:
    """Encode ``world/who.csv`` with ``world/who.yaml`` (or ``schema``) and the keys of ``world/keys/who``."""
    from sijill.tabular import read_batches

    source = read_batches(world / f"{who}.csv")
    return encode(source.batches, load_schema(world / f"{schema or who}.yaml"),
                       HolderKeys.load(world / "keys" / (keys or who)), out, source=str(world / f"{who}.csv"),
                       skipped_rows=source.skipped, **kwargs)
