"""Write identity fields the way one agency writes them, with that agency's mess (see ``config.Mess``).

Names, dates, national IDs, governorates and sex become pyarrow string columns; every knob works on whole
columns (a mask of the rows it hits), never row by row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import catalog
from .config import AgencySpec, Mess
from .names import FEMALE, NameBook
from .population import Population
from .spelling import Surfaces, dot_variants, keyboard_variants, latin_spellings, spelling_variants
from .timeline import NEVER, age_at, ymd

MONTHS_AR = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_CP1256_SAFE = set("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةى ")


def assemble(n: int, parts: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """One column from pieces that each fill some rows (``parts`` cover every row exactly once)."""
    parts = [(i, a) for i, a in parts if len(i)]
    if not parts:
        return pa.nulls(n, pa.string())
    rows = np.concatenate([i for i, _ in parts])
    values = pa.concat_arrays([a.cast(pa.string()) for _, a in parts])
    return values.take(pa.array(np.argsort(rows, kind="stable")))


def join_words(*columns: pa.Array) -> pa.Array:
    """Words joined by one space, absent ones skipped; null when all are absent. (pyarrow's own
    ``null_handling="skip"`` drops rows whose inputs are all null, so it is not used.)"""
    filled = [pc.fill_null(c, "") for c in columns]
    joined = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(pc.binary_join_element_wise(*filled, " "), " {2,}", " ")
    )
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def to_arabic_digits(arr: pa.Array) -> pa.Array:
    for d in range(10):
        arr = pc.replace_substring(arr, str(d), _ARABIC_DIGITS[d])
    return arr


def with_digits(arr: pa.Array, arabic: np.ndarray) -> pa.Array:
    rows = np.flatnonzero(arabic)
    if len(rows) == 0:
        return arr
    other = np.flatnonzero(~arabic)
    return assemble(len(arr), [(other, arr.take(pa.array(other))), (rows, to_arabic_digits(arr.take(pa.array(rows))))])


def format_dates(days: np.ndarray, formats: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    """``days`` (``NEVER`` for none) written in ``names[formats[i]]``."""
    n = len(days)
    parts = []
    present = days != NEVER
    for k, name in enumerate(names):
        rows = np.flatnonzero(present & (formats == k))
        if len(rows):
            parts.append((rows, _format(days[rows], name)))
    missing = np.flatnonzero(~present)
    parts.append((missing, pa.nulls(len(missing), pa.string())))
    return assemble(n, parts)


def _format(days: np.ndarray, name: str) -> pa.Array:
    dates = pa.array(days.astype(np.int32), pa.date32())
    patterns = {"iso": "%Y-%m-%d", "dmy": "%d/%m/%Y", "ymd_slash": "%Y/%m/%d", "mdy": "%m/%d/%Y"}
    if name in patterns:
        return pc.strftime(dates, format=patterns[name])
    y, m, d = ymd(days)
    if name == "dmy_dash":
        return pc.binary_join_element_wise(
            pa.array(d.astype(str)), pa.array(m.astype(str)), pa.array(y.astype(str)), "-"
        )
    months = pa.array(MONTHS_AR).take(pa.array(m - 1))
    return pc.binary_join_element_wise(pa.array(d.astype(str)), months, pa.array(y.astype(str)), " ")


class Renderer:
    """Turns person ids into the identity columns of one agency's file."""

    def __init__(self, pop: Population, book: NameBook, today: int) -> None:
        self.pop, self.book, self.today = pop, book, today
        self.arabic = Surfaces(book.vocab)
        self.latin = Surfaces([])
        self._latin_of: dict[int, list[int]] = {}
        self._nick = {k: [self.arabic.id(v) for v in vs] for k, vs in book.nicknames.items()}
        self._govs = catalog.governorates()
        titles = catalog.tsv("titles.tsv")
        self._titles = {
            (sex, when): [t for t, s, w in titles if s == sex and w == when]
            for sex in "MF"
            for when in ("living", "deceased")
        }

    # -- names -------------------------------------------------------------------------------------------

    def _to_latin(self, ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Canonical name ids -> ids of one of their Latin spellings."""
        out = np.full(len(ids), -1, dtype=np.int32)
        present = np.flatnonzero(ids >= 0)
        if len(present) == 0:
            return out
        wanted = np.unique(ids[present])
        for name_id in wanted.tolist():
            if name_id not in self._latin_of:
                self._latin_of[name_id] = [self.latin.id(s) for s in latin_spellings(self.arabic.strings[name_id])]
        top = int(wanted.max()) + 1
        counts = np.zeros(top, dtype=np.int64)
        firsts = np.zeros(top, dtype=np.int64)
        flat: list[int] = []
        for name_id in wanted.tolist():
            spellings = self._latin_of[name_id]
            firsts[name_id], counts[name_id] = len(flat), len(spellings)
            flat.extend(spellings)
        pick = (rng.random(len(present)) * counts[ids[present]]).astype(np.int64)
        out[present] = np.asarray(flat, dtype=np.int32)[firsts[ids[present]] + pick]
        return out

    def _nickname(self, given: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        def variants(s: str) -> list[str]:
            i = self.book._index.get(s)
            return [self.arabic.strings[j] for j in self._nick.get(i, [])] if i is not None else []

        return self.arabic.apply(given, mask, "nickname", variants, rng)

    def names(
        self, pids: np.ndarray, mess: Mess, rng: np.random.Generator, title: str = "living", layout: str = "split"
    ) -> dict[str, pa.Array]:
        """given, father, grandfather, surname (split) or full_name, and mother: as written."""
        p, n = self.pop, len(pids)
        parts = {
            "given": p.given[pids].copy(),
            "father": p.father_name[pids].copy(),
            "grandfather": p.grandfather_name[pids].copy(),
            "surname": p.surname[pids].copy(),
            "mother_given": p.mother_given[pids].copy(),
            "mother_father": p.mother_father[pids].copy(),
        }
        hit = lambda q: rng.random(n) < q  # noqa: E731 - one draw per row for a knob
        parts["grandfather"][hit(mess.drop_grandfather)] = -1
        parts["surname"][hit(mess.drop_surname)] = -1
        gone = hit(mess.drop_mother)
        parts["mother_given"][gone] = -1
        parts["mother_father"][gone] = -1
        latin = hit(mess.latin)
        arabic = ~latin
        parts["given"] = self._nickname(parts["given"], arabic & hit(mess.nickname), rng)
        for key in parts:
            for q, kind, variants in (
                (mess.spelling, "spelling", spelling_variants),
                (mess.dots, "dots", dot_variants),
                (mess.keyboard, "keyboard", keyboard_variants),
            ):
                if q > 0:
                    parts[key] = self.arabic.apply(parts[key], arabic & hit(q), kind, variants, rng)
        latin_rows = np.flatnonzero(latin)
        arabic_rows = np.flatnonzero(arabic)
        columns = {}
        for key, ids in parts.items():
            lat_ids = self._to_latin(p.persons[_SOURCE[key]][pids[latin_rows]], rng)
            lat_ids[ids[latin_rows] < 0] = -1
            columns[key] = assemble(
                n,
                [
                    (arabic_rows, self._strings(self.arabic, ids[arabic_rows])),
                    (latin_rows, self._strings(self.latin, lat_ids)),
                ],
            )
        titled = hit(mess.title) & arabic & (age_at(p.birth[pids], self.today) >= 30)
        if titled.any():
            columns["given"] = self._with_title(columns["given"], pids, titled, title, rng)
        mother = join_words(columns.pop("mother_given"), columns.pop("mother_father"))
        out: dict[str, pa.Array] = {}
        if layout == "full":
            out["full_name"] = join_words(
                columns["given"], columns["father"], columns["grandfather"], columns["surname"]
            )
        else:
            out.update(columns)
        out["mother"] = mother
        return out

    @staticmethod
    def _strings(surfaces: Surfaces, ids: np.ndarray) -> pa.Array:
        taken = surfaces.array().take(pa.array(np.maximum(ids, 0), pa.int32()))
        return pc.if_else(pa.array(ids >= 0), taken, pa.scalar(None, pa.string()))

    def _with_title(
        self, given: pa.Array, pids: np.ndarray, titled: np.ndarray, when: str, rng: np.random.Generator
    ) -> pa.Array:
        rows = np.flatnonzero(titled)
        female = self.pop.sex[pids[rows]] == FEMALE
        m_titles, f_titles = self._titles["M", when], self._titles["F", when]
        pick = rng.random(len(rows))
        words = np.where(
            female,
            np.array(f_titles, dtype=object)[(pick * len(f_titles)).astype(int)],
            np.array(m_titles, dtype=object)[(pick * len(m_titles)).astype(int)],
        )
        prefixed = pc.binary_join_element_wise(pa.array(words.tolist(), pa.string()), given.take(pa.array(rows)), " ")
        rest = np.flatnonzero(~titled)
        return assemble(len(given), [(rest, given.take(pa.array(rest))), (rows, prefixed)])

    # -- other identity fields ------------------------------------------------------------------------

    def dates(
        self, days: np.ndarray, spec: AgencySpec, rng: np.random.Generator, arabic_digits: np.ndarray
    ) -> pa.Array:
        names = ("iso", *spec.date_formats)
        other = rng.random(len(days)) < spec.mess.date_format
        fmt = np.where(other, 1 + (rng.random(len(days)) * len(spec.date_formats)).astype(int), 0)
        return with_digits(format_dates(days, fmt, names), arabic_digits)

    def national_ids(
        self, pids: np.ndarray, mess: Mess, rng: np.random.Generator, arabic_digits: np.ndarray
    ) -> pa.Array:
        n = len(pids)
        ids = self.pop.nid[pids].copy()
        typo = (rng.random(n) < mess.id_typo) & (ids > 0)
        pos = rng.integers(0, 11, n)  # never the leading digit
        power = 10 ** pos.astype(np.int64)
        digit = (ids // power) % 10
        new = (digit + rng.integers(1, 10, n)) % 10
        ids = np.where(typo, ids + (new - digit) * power, ids)
        swap = (rng.random(n) < mess.id_transposition) & (ids > 0)
        pos = rng.integers(0, 10, n)  # digits pos and pos+1, below the leading one
        power = 10 ** pos.astype(np.int64)
        a, b = (ids // power) % 10, (ids // (power * 10)) % 10
        same = a == b  # nothing to swap: shift to the next pair, which differs more often
        a2, b2 = (ids // (power * 10)) % 10, (ids // (power * 100)) % 10
        ids = np.where(
            swap & ~same,
            ids + (b - a) * power + (a - b) * power * 10,
            np.where(swap & same & (pos < 9), ids + (b2 - a2) * power * 10 + (a2 - b2) * power * 100, ids),
        )
        ids = np.where(rng.random(n) < mess.id_missing, 0, ids)
        text = pc.cast(pa.array(ids), pa.string())
        text = pc.if_else(pa.array(ids > 0), text, pa.scalar(None, pa.string()))
        return with_digits(text, arabic_digits)

    def governorates(self, pids: np.ndarray, mess: Mess, rng: np.random.Generator, latin: bool) -> pa.Array:
        gov = self.pop.gov[pids]
        by_city = rng.random(len(pids)) < mess.governorate_by_city
        pick = rng.random(len(pids))
        default, forms = [], []
        for row in self._govs:
            aliases = row["aliases"].split("|")
            if latin:
                default.append(row["name_en"])
                forms.append([a for a in aliases if a.isascii() and a != row["name_en"]] or [row["name_en"]])
            else:
                default.append(row["name"])
                arabic = [a for a in aliases if set(a) <= _CP1256_SAFE and a != row["name"]]
                written = [row["capital"], "محافظة " + row["name"], *arabic]
                forms.append([f for f in dict.fromkeys(written) if f != row["name"]])
        counts = np.array([len(f) for f in forms])
        offsets = np.cumsum(counts) - counts
        vocab = pa.array(default + [x for f in forms for x in f])
        index = np.where(by_city, len(default) + offsets[gov] + (pick * counts[gov]).astype(int), gov)
        return vocab.take(pa.array(index))

    def sexes(self, pids: np.ndarray, english: bool) -> pa.Array:
        words = pa.array(["M", "F"] if english else ["ذكر", "أنثى"])
        return words.take(pa.array(self.pop.sex[pids].astype(np.int32)))


_SOURCE = {
    "given": "given",
    "father": "father_name",
    "grandfather": "grandfather_name",
    "surname": "surname",
    "mother_given": "mother_given",
    "mother_father": "mother_father",
}
