"""The columns each holder sends besides the identity: contract numbers, dates, amounts, places. They are
plausible, consistent with the person (a death after the birth, a pension for the old), and never used to link."""

from __future__ import annotations

import datetime as dt
import random

from .families import TODAY, Population

_BORDERS = ("مطار بغداد الدولي", "مطار النجف الدولي", "مطار البصرة الدولي", "مطار أربيل الدولي", "منفذ زرباطية",
            "منفذ الشلامجة", "منفذ سفوان", "منفذ طريبيل", "منفذ إبراهيم الخليل", "منفذ المنذرية")
_COURTS = ("الكرخ", "الرصافة", "الكاظمية", "الأعظمية", "البصرة", "الزبير", "الناصرية", "الشطرة", "الحلة", "النجف",
           "الكوفة", "كربلاء", "الديوانية", "الكوت", "العمارة", "السماوة", "الموصل", "كركوك", "بعقوبة", "الرمادي",
           "تكريت", "سامراء")
_MAKES = ("كيا", "هيونداي", "تويوتا", "نيسان", "شوفرليه", "سايبا", "ميتسوبيشي", "شيري", "جيلي", "بيك اب تويوتا")
_LETTERS = "أبجدهوزحطيكلمن"
_MINISTRIES = ("وزارة التربية", "وزارة الصحة", "وزارة الداخلية", "وزارة الدفاع", "وزارة التعليم العالي والبحث العلمي",
               "وزارة الكهرباء", "وزارة النفط", "وزارة الزراعة", "وزارة الموارد المائية", "أمانة بغداد")
_EMPLOYERS = ("شركة آسيا سيل للاتصالات", "شركة زين العراق", "مطعم الساعة", "شركة الفرات للمقاولات", "معمل بلوك الحلة",
              "مستشفى الأمل الأهلي", "شركة نقل الرافدين", "مجمع مولات بغداد", "شركة كار للنفط", "محطة وقود الشهداء",
              "مدارس النخبة الأهلية", "شركة دجلة للمواد الإنشائية")
_PENSIONS = ("مدني", "عسكري", "ورثة")
# Each bank writes names its own way (docs/synthetic-world-b.md); the Arabic rows come from the state banks.
BANKS = {
    None: ("Rafidain Bank", "Rasheed Bank"),
    "bank": ("Rafidain Bank", "Rasheed Bank", "Iraqi Islamic Bank", "Al-Mansour Investment Bank"),
    "passport": ("Trade Bank of Iraq",),
    "iso233": ("International Development Bank",),
    "ala_lc": ("Bank of Baghdad",),
    "arabizi": ("Al-Thiqa Microfinance (mobile)",),
}


def _iso(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


def _after(rng: random.Random, start: int, end: int = TODAY.toordinal()) -> int:
    return rng.randint(min(start, end), end)


def payload(agency: str, pop: Population, person: int, row: int, rng: random.Random,
            convention: str | None = None) -> list:
    """The payload columns of one row, in the order of the agency's linkage.payload."""
    adult = int(pop.birth[person]) + 18 * 365
    since = max(adult, dt.date(2010, 1, 1).toordinal())
    if agency == "courts":
        day = _after(rng, since)
        role = "الزوج" if pop.sex[person] == "M" else "الزوجة"
        return [f"{dt.date.fromordinal(day).year}/{rng.randint(1, 9999)}", role, _iso(day),
                f"محكمة الأحوال الشخصية في {rng.choice(_COURTS)}"]
    if agency == "deaths":
        return [_iso(int(pop.death[person])), f"{rng.randint(100000, 999999)}"]
    if agency == "travel":
        out = _after(rng, max(adult, dt.date(2023, 1, 1).toordinal()))
        back = out + rng.randint(3, 400)
        return [_iso(out), _iso(back) if back <= TODAY.toordinal() else "", rng.choice(_BORDERS)]
    if agency == "loans":
        amount = rng.choice((5, 10, 15, 20, 25, 50, 75, 100)) * 1_000_000
        return [rng.choice(BANKS[convention]), f"LN{row + 1:08d}", amount, _iso(_after(rng, since))]
    if agency == "vehicles":
        year = rng.randint(1985, TODAY.year)
        plate = f"{rng.randint(10000, 999999)} {rng.choice(_LETTERS)}"
        return [plate, rng.choice(_MAKES), year, _iso(_after(rng, max(since, dt.date(year, 1, 1).toordinal())))]
    if agency == "pensions":
        return [f"{rng.randint(1_000_000, 9_999_999)}", rng.choice(_PENSIONS), rng.randint(40, 250) * 5000,
                _iso(_after(rng, max(since, int(pop.birth[person]) + 50 * 365)))]
    if agency == "payroll":
        return [rng.choice(_MINISTRIES), f"{rng.randint(100000, 999999)}", rng.randint(50, 400) * 5000,
                _iso(_after(rng, since))]
    if agency == "insured":
        return [rng.choice(_EMPLOYERS), f"{rng.randint(10_000_000, 99_999_999)}", rng.randint(70, 300) * 5000,
                _iso(_after(rng, since))]
    raise KeyError(agency)
