"""The knobs of the synthetic world, declared as data: every field has a default and a help text.

``docs/synthetic-data.md`` documents each knob; a test checks that none is missing there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from importlib import resources

import yaml


def _knob(default: float, help: str, per: str) -> float:
    return field(default=default, metadata={"help": help, "per": per})


@dataclass(frozen=True)
class Mess:
    """How messy one agency's file is. Each knob is a probability in [0, 1]; 0 turns it off."""

    spelling: float = _knob(
        0.0,
        "orthographic variant: hamza and alef forms, ة/ه, ى/ي, tatweel, "
        "harakat, a dropped medial alef, عبد written apart or joined",
        "name part",
    )
    dots: float = _knob(
        0.0,
        "one letter swapped for a letter that differs only in its dots (OCR or a "
        "hurried hand): ب/ت/ث/ن/ي, ج/ح/خ, د/ذ, ر/ز, س/ش ...",
        "name part",
    )
    keyboard: float = _knob(
        0.0,
        "a typing slip: a letter replaced by its neighbour on the Arabic keyboard, or two adjacent letters swapped",
        "name part",
    )
    nickname: float = _knob(0.0, "the given name written as a nickname or short form (حمودي for محمد)", "record")
    drop_grandfather: float = _knob(0.0, "the grandfather's name left out (a triple name)", "record")
    drop_surname: float = _knob(0.0, "the surname (laqab) left out when the person has one", "record")
    drop_mother: float = _knob(0.0, "the mother's name left out", "record")
    latin: float = _knob(
        0.0, "names written in Latin script, in one of the spellings people use (Mohammed, Muhammad, Mohamed)", "record"
    )
    title: float = _knob(0.0, "a title written before the name (الحاج, السيدة; المرحوم in death records)", "record")
    date_format: float = _knob(
        0.0,
        "a date written in one of the agency's other formats instead of "
        "ISO (02/03/1985, 2-3-1985, 2 آذار 1985, 03/02/1985)",
        "date",
    )
    arabic_digits: float = _knob(
        0.0,
        "dates and national ID written in Arabic-Indic digits "
        "(١٩٨٥); refused for Windows-1256 files, which cannot hold them",
        "record",
    )
    id_typo: float = _knob(0.0, "one digit of the national ID replaced by another", "record")
    id_transposition: float = _knob(0.0, "two adjacent digits of the national ID swapped", "record")
    id_missing: float = _knob(0.0, "the national ID left empty (on top of people who have none)", "record")
    governorate_by_city: float = _knob(
        0.0, "the governorate given by its capital city, another spelling, or 'محافظة X'", "record"
    )

    @classmethod
    def knobs(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def only(cls, knob: str, value: float = 1.0) -> Mess:
        """A mess with one knob set and all others off (used by tests and to explain a knob)."""
        return cls(**{knob: value})

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"mess knob {f.name} must be between 0 and 1, not {value}")


CLEAN = Mess()

# The date formats an agency may write, besides ISO (yyyy-mm-dd).
DATE_FORMATS = {
    "iso": "2024-03-02",
    "dmy": "02/03/2024",
    "dmy_dash": "2-3-2024",
    "ymd_slash": "2024/03/02",
    "mdy": "03/02/2024 (a bank system's month-first order)",
    "month_name": "2 آذار 2024",
}


@dataclass(frozen=True)
class AgencySpec:
    """One partner extract (or the registry itself): its file, its layout and its mess."""

    name: str
    title: str
    format: str = "csv"  # csv, xlsx or parquet
    encoding: str = "utf-8"  # utf-8, utf-8-sig or cp1256 (CSV only)
    layout: str = "split"  # split: one column per name part; full: the whole chain in one column
    headers: str = "ar"  # ar: Arabic column names; en: English
    date_formats: tuple[str, ...] = ("dmy",)
    mess: Mess = CLEAN
    coverage: float = 1.0  # share of the agency's true records that reach the extract

    def __post_init__(self) -> None:
        if self.format not in ("csv", "xlsx", "parquet"):
            raise ValueError(f"agency {self.name}: format must be csv, xlsx or parquet, not {self.format!r}")
        if self.encoding not in ("utf-8", "utf-8-sig", "cp1256"):
            raise ValueError(f"agency {self.name}: encoding must be utf-8, utf-8-sig or cp1256")
        if self.encoding == "cp1256" and self.format != "csv":
            raise ValueError(f"agency {self.name}: only CSV files are written in Windows-1256")
        if self.encoding == "cp1256" and self.mess.arabic_digits > 0:
            raise ValueError(
                f"agency {self.name}: Windows-1256 has no Arabic-Indic digits; set arabic_digits to 0 or write UTF-8"
            )
        if self.layout not in ("split", "full"):
            raise ValueError(f"agency {self.name}: layout must be split or full")
        if self.headers not in ("ar", "en"):
            raise ValueError(f"agency {self.name}: headers must be ar or en")
        unknown = set(self.date_formats) - set(DATE_FORMATS)
        if unknown:
            raise ValueError(f"agency {self.name}: unknown date formats {sorted(unknown)}")
        if not 0.0 < self.coverage <= 1.0:
            raise ValueError(f"agency {self.name}: coverage must be in (0, 1]")

    @property
    def extension(self) -> str:
        return self.format


def default_agencies() -> dict[str, AgencySpec]:
    """Each agency as it really sends its data (format, encoding, layout and habits), as the ``synth`` section of
    its file in ``sijill/agencies/`` says, in the order of ``synth.order``."""
    folder = resources.files("sijill").joinpath("agencies")
    specs = []
    for path in folder.iterdir():
        if path.name.endswith(".yaml"):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if "synth" in data:
                specs.append((data["synth"], data["code"]))
    specs.sort(key=lambda s: (s[0].get("order", len(specs)), s[1]))
    return {code: _spec(code, synth) for synth, code in specs}


def _spec(code: str, synth: dict) -> AgencySpec:
    synth = {k: v for k, v in synth.items() if k != "order"}
    mess = Mess(**synth.pop("mess", {}))
    return AgencySpec(code, synth.pop("title"), date_formats=tuple(synth.pop("date_formats", ("dmy",))), mess=mess,
                      **synth)


@dataclass(frozen=True)
class Rules:
    """When a partner record makes a beneficiary ineligible (what ``expected_findings.csv`` lists)."""

    poverty_line_iqd: int = 130_000  # monthly income per household member below which a household is poor
    large_loan_iqd: int = 20_000_000  # a loan at or above this, taken after enrolment
    pension_iqd: int = 500_000  # a monthly pension at or above this
    insured_wage_iqd: int = 700_000  # a monthly insured wage at or above this
    vehicle_max_age_years: int = 10  # a vehicle of a model year this recent or newer
    abroad_days: int = 180  # a stay abroad longer than this


@dataclass(frozen=True)
class Demography:
    """Population parameters (shares and rates); see docs/synthetic-data.md for their sources."""

    twin_rate: float = 0.015  # share of births that are twins
    named_after_grandfather: float = 0.10  # share of first sons given their paternal grandfather's name
    divorce_rate: float = 0.07  # share of marriages that end in divorce
    remarriage_rate: float = 0.25  # share of widows and divorcees under 55 who remarry within the window
    conflict_deaths_male: float = 0.07  # share of men who die young (conflict, accidents)
    disability_rate: float = 0.035  # share of people with a disability (rises with age)


@dataclass(frozen=True)
class SynthConfig:
    """Everything that shapes the world besides the number of persons and the seed."""

    today: dt.date = dt.date(2025, 6, 30)  # fixed, so that a seed gives the same world on any day
    registry_start: dt.date = dt.date(2015, 1, 1)
    agencies: dict[str, AgencySpec] = field(default_factory=default_agencies)
    rules: Rules = field(default_factory=Rules)
    demography: Demography = field(default_factory=Demography)
    # Share of registry members enrolled a second time in a household that enrolled later, written by
    # another clerk (truth/duplicates.csv; expected_findings.csv reason "duplicate").
    duplicate_enrolments: float = 0.005

    def __post_init__(self) -> None:
        if not 0.0 <= self.duplicate_enrolments <= 0.5:
            raise ValueError(f"duplicate_enrolments must be between 0 and 0.5, not {self.duplicate_enrolments}")

    def with_mess(self, mess: Mess, agencies: tuple[str, ...] | None = None) -> SynthConfig:
        """The same config with ``mess`` for the given agencies (all when ``None``)."""
        names = agencies or tuple(self.agencies)
        updated = dict(self.agencies)
        for name in names:
            spec = updated[name]
            encoding = spec.encoding
            if mess.arabic_digits > 0 and encoding == "cp1256":
                encoding = "utf-8"
            updated[name] = replace(spec, mess=mess, encoding=encoding)
        return replace(self, agencies=updated)
