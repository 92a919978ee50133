"""One person written by one data holder: the name chain, the mother's name, the birth date, the national ID,
the governorate and the sex, each with the holder's habits and slips (its profile in data/profiles.yaml)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from . import arabic
from .data import GROUPS, Knowledge, NameList
from .families import Population
from .romanise import romanise

_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FORMATS = {
    "iso": "{y:04d}-{m:02d}-{d:02d}",
    "dmy_slash": "{d:02d}/{m:02d}/{y:04d}",
    "dmy_dash": "{d}-{m}-{y:04d}",
    "ymd_slash": "{y:04d}/{m:02d}/{d:02d}",
    "mdy": "{m:02d}/{d:02d}/{y:04d}",
}


@dataclass(frozen=True)
class Name:
    """One name as the data knows it: its Arabic spelling, ALA-LC form and passport spelling."""

    arabic: str
    latin: str
    passport: str

    @classmethod
    def of(cls, names: NameList, i: int) -> Name:
        return cls(names.arabic[i], names.latin[i], names.passport[i])


@dataclass
class Written:
    """The linkage fields of one record, as the holder wrote them ("" for a field left empty)."""

    given: str
    father: str
    grandfather: str
    surname: str
    mother: str
    birth_date: str
    national_id: str
    governorate: str
    sex: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given, self.father, self.grandfather, self.surname) if p)


def latin_spelling(name: Name, convention: str, rng: random.Random | None = None) -> str:
    """The name in Latin script: the passport's own spelling when the data has one, else the convention's rules
    (a clerk or an Arabizi typist drawing with ``rng``, and writing a doubled letter once now and then)."""
    if convention == "passport" and name.passport:
        return name.passport
    rng = rng if convention in ("bank", "arabizi") else None
    doubles = {"bank": 0.35, "arabizi": 0.5}.get(convention, 0.0)
    return romanise(name.latin, convention, rng, name.arabic.endswith("ة"), doubles)


class Writer:
    """Writes people as one holder does; ``rng`` is that holder's own stream."""

    def __init__(self, profile: dict, k: Knowledge, pop: Population, rng: random.Random) -> None:
        self.p, self.k, self.pop, self.rng = profile, k, pop, rng
        self.names = profile.get("names", {})
        self.dates = profile.get("dates", {})
        self.ids = profile.get("ids", {})
        self.place = profile.get("place", {})
        script = profile.get("script", {})
        self.latin_share = script.get("latin", 0.0)
        conventions = script.get("conventions", {})
        self.conventions, self.convention_weights = list(conventions), list(conventions.values())
        self.empty = set(profile.get("empty", []))
        self.tribes = {g: [i for i, (gs, kind) in enumerate(zip(k.surnames.groups, k.surnames.kind, strict=True))
                           if g in gs and kind == "tribe"] for g in GROUPS}
        self.male_names = frozenset(k.male.arabic)
        self.sayyid = {a for a, kind in zip(k.surnames.arabic, k.surnames.kind, strict=True) if kind == "sayyid"}

    def chance(self, rates: dict, key: str) -> bool:
        return self.rng.random() < rates.get(key, 0.0)

    def convention(self) -> str | None:
        """The romanisation of this record, or None for Arabic script."""
        if self.latin_share and self.rng.random() < self.latin_share:
            return self.rng.choices(self.conventions, self.convention_weights)[0]
        return None

    def write(self, person: int, convention: str | None = None, age: int = 0) -> Written:
        """The record of ``person``, in Arabic script or romanised by ``convention``; ``age`` decides titles."""
        chain, surname, mother = self._names_kept(person)
        if convention:
            parts = [self._latin(x, convention) if x else "" for x in (*chain, surname)]
            mother_text = " ".join(self._latin(x, convention) for x in mother)
            if convention == "bank" and self.rng.random() < 0.3:
                parts, mother_text = [p.upper() for p in parts], mother_text.upper()
        else:
            parts = [x.arabic if x else "" for x in (*chain, surname)]
            if self.chance(self.names, "nickname") and parts[0] in self.k.nicknames:
                parts[0] = self.rng.choice(self.k.nicknames[parts[0]])
            mother_text = " ".join(x.arabic for x in mother)
            parts, mother_text = self._arabic_habits(parts, mother_text)
            title = self._title(person, surname, age)
            if title:
                parts[0] = f"{title} {parts[0]}"
        return Written(*parts, mother=mother_text, birth_date=self._birth(person, convention),
                       national_id=self._national_id(person), governorate=self._governorate(person, convention),
                       sex=self._sex(person, convention))

    def _names_kept(self, person: int) -> tuple[list[Name | None], Name | None, list[Name]]:
        """The name chain, surname and mother's name this holder keeps: the card's slip copied, the surname
        dropped or replaced by a tribe, a compound cut into the chain, the grandfather or the mother left out."""
        pop, k, n = self.pop, self.k, self.names
        given_list = k.male if pop.sex[person] == "M" else k.female
        chain: list[Name | None] = [Name.of(given_list, pop.given[person]), Name.of(k.male, pop.father_name[person]),
                                    Name.of(k.male, pop.grandfather_name[person])]
        surname = Name.of(k.surnames, pop.surname[person]) if pop.surname[person] >= 0 else None
        mother = [Name.of(k.female, pop.mother_given[person]), Name.of(k.male, pop.mother_father[person])]
        if self.p.get("copies_card") and person in pop.card_names:
            part, spelling = pop.card_names[person]
            chain[part] = Name(spelling, chain[part].latin, chain[part].passport)
        tribes = self.tribes[GROUPS[pop.group[person]]]
        if self.chance(n, "tribe") and tribes:
            surname = Name.of(k.surnames, self.rng.choice(tribes))
        if self.chance(n, "drop_surname"):
            surname = None
        if self._cuttable(chain[0]) and self.chance(n, "compound_shift"):
            first, second = chain[0].arabic.split(" ", 1)
            lat_first, lat_second = chain[0].latin.split(" ", 1)
            chain = [Name(first, lat_first, ""), Name(second, lat_second, ""), chain[1]]
        if self.chance(n, "drop_grandfather"):
            chain[2] = None
        if self.chance(n, "mother_given_only"):
            mother = mother[:1]
        if self.chance(n, "mother_missing") or "mother_name" in self.empty:
            mother = []
        return chain, surname, mother

    def _cuttable(self, given: Name) -> bool:
        """A compound given name whose second word is a name of its own (محمد علي, not أم البنين or عبد الله)."""
        head, _, rest = given.arabic.partition(" ")
        return bool(rest) and head != "عبد" and rest in self.male_names

    def _latin(self, name: Name, convention: str) -> str:
        return latin_spelling(name, convention, self.rng)

    def _arabic_habits(self, parts: list[str], mother: str) -> tuple[list[str], str]:
        n, rng = self.names, self.rng
        texts = [*parts, mother]
        if self.chance(n, "persian"):
            texts = [arabic.persian_letters(t) for t in texts]
        if self.chance(n, "hamza"):
            texts = [arabic.hamza(t, rng) for t in texts]
        if self.chance(n, "join"):
            texts = [arabic.join_compound(t) for t in texts]
        elif self.chance(n, "split"):
            texts = [arabic.split_compound(t) for t in texts]
        for key, slip in (("taa", arabic.final_letter), ("ocr", arabic.ocr_dots), ("keyboard", arabic.keyboard_slip),
                          ("vowel_mark", arabic.vowel_mark), ("tatweel", arabic.tatweel),
                          ("spaces", arabic.stray_spaces)):
            if self.chance(n, key):
                spots = [i for i, t in enumerate(texts) if t]
                j = rng.choice(spots)
                texts[j] = slip(texts[j], rng)
        return texts[:-1], texts[-1]

    def _title(self, person: int, surname: Name | None, age: int) -> str:
        if not self.chance(self.names, "title"):
            return ""
        sex = str(self.pop.sex[person])
        if self.pop.death[person]:
            return self.rng.choice(self.k.titles[(sex, "deceased")])
        if surname is not None and surname.arabic in self.sayyid and self.rng.random() < 0.7:
            return self.rng.choice(self.k.titles[(sex, "sayyid")])
        if age >= 45:
            return self.rng.choice(self.k.titles[(sex, "adult")])
        return ""

    def _birth(self, person: int, convention: str | None = None) -> str:
        d, rng = self.dates, self.rng
        date = dt.date.fromordinal(int(self.pop.registered_birth[person]))
        y, m, day = date.year, date.month, date.day
        year_only = False
        if self.chance(d, "missing"):
            return ""
        if self.chance(d, "estimated"):
            death = int(self.pop.death[person]) or dt.date(2025, 1, 1).toordinal()
            age = (death - int(self.pop.birth[person])) // 365
            guessed = round(age / 5) * 5 if rng.random() < 0.5 else age + rng.randint(-3, 3)
            y, m, day = dt.date.fromordinal(death).year - max(guessed, 0), 1, 1
            year_only = rng.random() < 0.5
        elif self.chance(d, "default"):
            m, day = (7, 1) if rng.random() < 0.8 else (1, 1)
        if self.chance(d, "year_only"):
            year_only = True
        if self.chance(d, "swap") and day <= 12 and day != m:
            m, day = day, m
        if self.chance(d, "year_typo"):
            y = _year_typo(y, rng)
        if year_only:
            text = f"{y:04d}"
        else:
            formats = d.get("formats_by_convention", {}).get(convention) or d.get("formats", {"iso": 1})
            fmt = rng.choices(list(formats), list(formats.values()))[0]
            text = _FORMATS[fmt].format(y=y, m=m, d=day)
        if self.chance(d, "arabic_digits"):
            text = text.translate(_ARABIC_DIGITS)
        return text

    def _national_id(self, person: int) -> str:
        ids, rng = self.ids, self.rng
        nid = str(self.pop.national_id[person])
        if "national_id" in self.empty or not nid or self.chance(ids, "missing"):
            return ""
        if self.chance(ids, "old"):
            return str(rng.randint(10_000, 9_999_999))  # the old civil-status ID (هوية الأحوال المدنية) number
        if self.chance(ids, "typo"):
            i = rng.randrange(12)
            nid = nid[:i] + str((int(nid[i]) + rng.randint(1, 9)) % 10) + nid[i + 1 :]
        if self.chance(ids, "transpose"):
            spots = [i for i in range(11) if nid[i] != nid[i + 1]]
            if spots:
                i = rng.choice(spots)
                nid = nid[:i] + nid[i + 1] + nid[i] + nid[i + 2 :]
        return nid

    def _governorate(self, person: int, convention: str | None) -> str:
        g, place, rng = int(self.pop.governorate[person]), self.place, self.rng
        gov = self.k.governorates
        if self.chance(place, "missing"):
            return ""
        latin = convention is not None or self.chance(place, "latin")
        if self.chance(place, "city"):
            return rng.choice(gov.latin_variants[g] if latin else gov.arabic_variants[g])
        return gov.latin[g] if latin else gov.arabic[g]

    def _sex(self, person: int, convention: str | None) -> str:
        male = self.pop.sex[person] == "M"
        slips = self.p.get("sex_slips", {})
        if self.chance(slips, "missing"):
            return ""
        if self.chance(slips, "wrong"):
            male = not male
        if self.p.get("sex") == "latin" or convention:
            return ("M" if male else "F") if self.rng.random() < 0.8 else ("Male" if male else "Female")
        return "ذكر" if male else "أنثى"


def _year_typo(year: int, rng: random.Random) -> int:
    """A year one off, or its last two digits swapped (1985 -> 1958) when that is still a plausible year."""
    swapped = year // 100 * 100 + (year % 10) * 10 + (year // 10 % 10)
    if rng.random() < 0.4 and swapped != year and 1900 <= swapped <= 2025:
        return swapped
    return year + rng.choice((-1, 1))
