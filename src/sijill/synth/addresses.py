"""Synthetic household addresses in the Iraqi form (qada, nahiya, mahalla number, zuqaq, dar), a nearest
landmark, phone numbers (some written the way clerks write them: +964, Arabic-Indic digits, two numbers in
one cell) and, for about a third of households, a GPS position from an earlier survey."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from . import catalog

LANDMARKS = ("قرب جامع {n}", "مقابل مدرسة {n} الابتدائية", "خلف المركز الصحي", "قرب سوق {n}",
             "مقابل مخبز {n}", "قرب حسينية {n}", "بجوار مولدة الحي", "قرب دائرة الكهرباء", "مقابل ملعب {n}")
NAMES = ("الرحمن", "النور", "الإمام علي", "الفرقان", "السلام", "الزهراء", "الرافدين", "الحكمة", "الوحدة")
INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
LOCATED_SHARE = 0.35
EPOCH = dt.date(1970, 1, 1)


def _phone(rng: np.random.Generator) -> str:
    return f"07{rng.choice([7, 8, 5, 9])}{rng.integers(0, 10)}{rng.integers(0, 10**7):07d}"


def _written(rng: np.random.Generator, number: str) -> str:
    """As a clerk types it, now and then."""
    style = rng.random()
    if style < 0.08:
        return "+964 " + number[1:4] + " " + number[4:7] + " " + number[7:]
    if style < 0.15:
        return number.translate(INDIC)
    return number


def build_addresses(rng: np.random.Generator, gov: np.ndarray, today: int) -> dict[str, pa.Array]:
    """One address per household, in the governorate of its row in ``gov`` (indexes of catalog.governorates);
    ``today`` in days since 1970."""
    names = [g["name_en"] for g in catalog.governorates()]
    by_gov: dict[int, list[dict]] = {}
    for row in catalog.table("districts.csv"):
        by_gov.setdefault(names.index(row["name_en"]), []).append(row)
    n = len(gov)
    cols: dict[str, list] = {k: [] for k in ("district", "nahiya", "mahalla", "zuqaq", "dar", "landmark", "phones",
                                             "latitude", "longitude", "located_on", "location_source")}
    for g in gov:
        place = by_gov[int(g)][rng.integers(0, len(by_gov[int(g)]))]
        cols["district"].append(place["district"])
        cols["nahiya"].append(place["nahiya"])
        cols["mahalla"].append(str(int(rng.integers(100, 999))))
        cols["zuqaq"].append(str(int(rng.integers(1, 60))))
        cols["dar"].append(str(int(rng.integers(1, 120))))
        cols["landmark"].append(LANDMARKS[rng.integers(0, len(LANDMARKS))].format(n=NAMES[rng.integers(0, len(NAMES))]))
        k = rng.choice([0, 1, 1, 1, 1, 1, 1, 2, 2])
        cols["phones"].append(" / ".join(_written(rng, _phone(rng)) for _ in range(k)) or None)
        if rng.random() < LOCATED_SHARE:
            cols["latitude"].append(round(float(place["lat"]) + rng.normal(0, 0.02), 6))
            cols["longitude"].append(round(float(place["lon"]) + rng.normal(0, 0.02), 6))
            cols["located_on"].append(EPOCH + dt.timedelta(days=int(today - rng.integers(30, 3 * 365))))
            cols["location_source"].append("مسح الأسر السابق")
        else:
            for k2 in ("latitude", "longitude", "located_on", "location_source"):
                cols[k2].append(None)
    assert all(len(v) == n for v in cols.values())
    types = {"latitude": pa.float64(), "longitude": pa.float64(), "located_on": pa.date32()}
    return {k: pa.array(v, types.get(k, pa.string())) for k, v in cols.items()}
