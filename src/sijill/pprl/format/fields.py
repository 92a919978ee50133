"""The encoded fields, declared once: each field's package columns and its comparison levels, with codes.

One small object per field (Splink's one class per comparison level, end to end): the national ID, the
ration card, the name chain and its parts, the birth date, a categorical value, an extra field and a
blocking key. From these the package's column list (``EncodingSpec.columns``), the hub's comparisons
(``sijill.linkage.comparisons``) and the explanations (``sijill.common.explain``, which looks sentences up
by a level's ``code``) all derive. The holder's code that computes the values is ``pprl.holder.encoders``
(one encoder per field); this module imports none of it, so the hub reads the declarations without it.

A level's ``code`` is stable: it is stored with every hit, and an explanation is looked up by it. The
``label`` is the English text Splink shows in its charts; it may be reworded, the code may not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import pyarrow as pa


class EncodingSpec(Protocol):
    """What the columns depend on (``schema.EncodingSpec``, not imported: the schema builds on the fields)."""

    bloom: Any
    hardening: Any

    @property
    def bloom_bytes(self) -> int: ...


IDENTIFIER_FIELDS = ("national_id", "ration_card")
NAME_FIELDS = ("given_name", "father_name", "grandfather_name", "surname", "mother_name")
CHAIN_FIELDS = ("given_name", "father_name", "grandfather_name")  # shifted by an ambiguous compound given name
BLOOM_WORDS = 8  # the hub reads a filter as eight BIGINT words: bit_count and & exist in DuckDB and Spark
TOKEN = pa.int64()
TIE = "hit.tie"  # the hub's own level: another beneficiary matches equally well
TIE_LABEL = "tie with another beneficiary"

EXTRA_PREFIX = "extra_"
Column = tuple[str, pa.DataType, str]  # name, Arrow type, meaning (the field metadata of encodings.parquet)


@dataclass(frozen=True)
class BlockingKey:
    """``any_order``: the values are sorted before hashing, so a record whose given name and surname were
    written in each other's place gets the same token (``{any_order: [given_name.skeleton, surname.skeleton]}``)."""

    name: str
    parts: tuple[str, ...]
    any_order: bool = False

    def as_setting(self) -> list | dict:
        return {"any_order": list(self.parts)} if self.any_order else list(self.parts)


@dataclass(frozen=True)
class ExtraField:
    """A field declared by the cycle's schemas under ``extra:``: its name and how it is encoded."""

    name: str
    kind: str

    @property
    def token_column(self) -> str:
        return EXTRA_PREFIX + self.name

    @property
    def bloom_column(self) -> str | None:
        return f"{EXTRA_PREFIX}{self.name}_bloom" if self.kind == "text" else None


# --- levels ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One agreement level: a SQL condition over ``<column>_l`` / ``<column>_r``, its code and label."""

    code: str
    label: str
    sql: str
    fixed_m: float | None = None  # an m probability set by hand, not learnt

    def splink(self) -> dict:
        out = {"sql_condition": self.sql, "label_for_charts": self.label}
        if self.fixed_m is not None:
            out |= {"m_probability": self.fixed_m, "fix_m_probability": True}
        return out


@dataclass(frozen=True)
class NullLevel(Level):
    """Missing on either side: neutral."""

    def splink(self) -> dict:
        return super().splink() | {"is_null_level": True}


@dataclass(frozen=True)
class ExactLevel(Level):
    """The same token; ``tf``: agreeing on a common value weighs less (term frequencies)."""

    tf: str | None = None

    def splink(self) -> dict:
        out = super().splink()
        if self.tf:
            out |= {"tf_adjustment_column": self.tf, "tf_adjustment_weight": 1.0}
        return out


def missing(prefix: str, column: str) -> NullLevel:
    return NullLevel(f"{prefix}.missing", "missing", f"{column}_l IS NULL OR {column}_r IS NULL")


def exact(code: str, column: str, label: str, tf: str | None = None, fixed_m: float | None = None) -> ExactLevel:
    return ExactLevel(code, label, f"{column}_l = {column}_r", fixed_m, tf)


def otherwise(prefix: str, label: str = "disagree", code: str = "disagree", fixed_m: float | None = None) -> Level:
    return Level(f"{prefix}.{code}", label, "ELSE", fixed_m)


def dice_at_least(bloom: str, threshold: float) -> str:
    """Dice coefficient of two Bloom filters (read by the hub as BLOOM_WORDS 64-bit words) >= threshold."""
    # DuckDB's bit_count of a BIGINT is a TINYINT: eight of them summed overflow past 127 common bits (two
    # long names), so each is widened first.
    common = " + ".join(f"CAST(bit_count({bloom}_w{i}_l & {bloom}_w{i}_r) AS INTEGER)" for i in range(BLOOM_WORDS))
    bits = f"({bloom}_bits_l + {bloom}_bits_r)"
    return f"{bits} > 0 AND 2.0 * ({common}) >= {threshold} * {bits}"


def dice(code: str, bloom: str, threshold: float, label: str) -> Level:
    return Level(code, label, dice_at_least(bloom, threshold))


@dataclass(frozen=True)
class Comparison:
    """A field's levels, strongest first; Splink turns them into one CASE WHEN."""

    name: str
    levels: tuple[Level, ...]
    presence: str  # the column that tells whether a package carries the field at all
    description: str | None = None

    def splink(self) -> dict:
        out = {"output_column_name": self.name, "comparison_levels": [lv.splink() for lv in self.levels]}
        if self.description:
            out["comparison_description"] = self.description
        return out

    def code_of(self, label: str) -> str | None:
        """The code of this comparison's level with ``label`` (the label a trained model carries)."""
        return next((lv.code for lv in self.levels if lv.label == label), None)


# --- fields ---------------------------------------------------------------------------------------------


class Field:
    """An encoded field: the package columns it writes and the comparisons the hub makes of them."""

    name: str

    def columns(self, spec: EncodingSpec) -> list[Column]:
        raise NotImplementedError

    def comparisons(self, swap: str | None = None, present: set[str] | None = None) -> list[Comparison]:
        """``swap``: the column of a blocking token of the given name and surname in any order;
        ``present``: columns with values on both sides (``None``: all)."""
        return []


@dataclass(frozen=True)
class NationalId(Field):
    """The 12-digit national number: a person's own, so agreeing weighs most."""

    name: str = "national_id"
    # How often one person's two records carry different national numbers (a clerk's typo, an old card).
    # Fixed rather than learnt: the exact stage takes most pairs with equal numbers before the model runs.
    mismatch: float = 0.03

    def columns(self, spec: EncodingSpec) -> list[Column]:
        return [(self.name, TOKEN, "token of the 12-digit national number")]

    def comparisons(self, swap=None, present=None) -> list[Comparison]:
        return [Comparison(self.name, (
            missing("nid", self.name),
            exact("nid.exact", self.name, "same national ID", fixed_m=1 - self.mismatch),
            otherwise("nid", "different national ID", "differ", fixed_m=self.mismatch),
        ), self.name)]


@dataclass(frozen=True)
class RationCard(Field):
    """The ration card, or another agency's own person number carried in its place (learnt, not fixed: an
    Iraqi ration card is a household's, so agreeing on it is weaker evidence than a national ID)."""

    name: str = "ration_card"

    def columns(self, spec: EncodingSpec) -> list[Column]:
        return [(self.name, TOKEN, "token of the ration card number")]

    def comparisons(self, swap=None, present=None) -> list[Comparison]:
        return [Comparison(self.name, (
            missing("card", self.name),
            exact("card.exact", self.name, "same ration card or agency number"),
            otherwise("card"),
        ), self.name, "second identifier")]


def _swapped(swap: str | None, label: str) -> tuple[Level, ...]:
    """A given name and surname written in each other's place, when the cycle's encoding has a blocking
    token of the two in any order (``swap``, its column): per-field keys cannot see a swap."""
    return (Level("name.swapped", label, f"{swap}_l = {swap}_r"),) if swap else ()


SALT = "given_name_salt"  # the salt of a given name's encodings (``Hardening.salt_given_name``)
# The given name's tokens salted with the birth date instead: compared when the family's salt differs (a
# father's name misspelt or romanised, twins), so that one misspelling does not leave the given name unread.
DATED = "given_name_dated"
# (Not the exact level: Splink's term-frequency adjustment needs it to be one plain equality.)
DATED_LEVELS = {"name.variant": f"{DATED}_canonical_l = {DATED}_canonical_r",
                "name.skeleton": f"{DATED}_skeleton_l = {DATED}_skeleton_r",
                "name.rasm": f"{DATED}_rasm_l = {DATED}_rasm_r",
                "name.dice_high": dice_at_least(f"{DATED}_bloom", 0.85),
                "name.dice_near": dice_at_least(f"{DATED}_bloom", 0.7)}


def _dated(present: set[str] | None) -> bool:
    return present is None or DATED + "_canonical" in present


def _or_dated(level: Level) -> Level:
    """A given-name level that also holds on the tokens salted with the birth date."""
    dated = DATED_LEVELS.get(level.code)
    return level if dated is None else replace(level, sql=f"({level.sql}) OR ({dated})")


def _not_compared(present: set[str] | None) -> tuple[Level, ...]:
    """Given names salted with different fathers' or grandfathers' names (and different birth dates) cannot
    be compared: neutral, as a missing name is (the father's and grandfather's own comparisons weigh their
    disagreement)."""
    if present is not None and SALT not in present:
        return ()
    sql = f"{SALT}_l <> {SALT}_r"
    if _dated(present):
        sql += f" AND ({DATED}_salt_l IS NULL OR {DATED}_salt_r IS NULL OR {DATED}_salt_l <> {DATED}_salt_r)"
    return (NullLevel("name.not_compared", "not compared (salted with another father or grandfather)", sql),)


@dataclass(frozen=True)
class NamePart(Field):
    """One part of the name (given, father's, grandfather's, surname, mother's): exact, canonical and
    skeleton tokens and a Bloom filter of its q-grams; the chain's parts also in the other reading of an
    ambiguous compound given name (محمد علي). A missing part is neutral, so a chain without its grandfather
    is not penalised."""

    name: str

    @property
    def in_chain(self) -> bool:
        return self.name in CHAIN_FIELDS

    def columns(self, spec: EncodingSpec) -> list[Column]:
        f, out = self.name, []
        if spec.hardening.name_tokens:
            out += [(f, TOKEN, f"token of the normalised {f}"),
                    (f"{f}_canonical", TOKEN, f"token of {f} with variants and nicknames collapsed"),
                    (f"{f}_skeleton", TOKEN, f"token of the cross-script skeleton of {f}"),
                    (f"{f}_rasm", TOKEN, f"token of the dotless letters (rasm) of {f}")]
            if self.in_chain:
                out += [(f"{f}_alt", TOKEN, f"token of {f} in the other reading of an ambiguous compound given name"),
                        (f"{f}_alt_skeleton", TOKEN, f"skeleton token of {f} in the other reading")]
        out.append((f"{f}_bloom", pa.binary(spec.bloom_bytes),
                    f"Bloom filter of the character {spec.bloom.qgram}-grams of {f}"))
        if f == "given_name" and spec.hardening.salt_given_name:
            out.append((SALT, TOKEN, "token of the father's and grandfather's name skeletons that key the given "
                                     "name's tokens and filter (equal given names compare only under equal salts)"))
            if spec.hardening.name_tokens:
                out += [(DATED + suffix, TOKEN, f"{kind} token of the given name salted with the birth date (the "
                                                f"day, or the year of a date known to its year only)")
                        for suffix, kind in (("_canonical", "canonical"), ("_skeleton", "skeleton"), ("_rasm", "rasm"))]
                out.append((f"{DATED}_bloom", pa.binary(spec.bloom_bytes),
                            "Bloom filter of the given name salted with the birth date"))
                out.append((DATED + "_salt", TOKEN, "token of the birth date that salts the given_name_dated tokens"))
        return out

    def key_columns(self, spec: EncodingSpec) -> list[Column]:
        """The part's own key (written after every part's columns): the surname without its article, the
        mother's first name."""
        if not spec.hardening.name_tokens:
            return []
        if self.name == "surname":
            return [("surname_key", TOKEN, "token of the surname without its article (al-, aal, albu)")]
        if self.name == "mother_name":
            return [("mother_first", TOKEN, "token of the canonical first word of the mother's name")]
        return []

    def comparisons(self, swap=None, present=None) -> list[Comparison]:
        f, bloom = self.name, f"{self.name}_bloom"
        # The same letters with dots lost or added (a scanned register): absent from packages made before it.
        rasm = (exact("name.rasm", f"{f}_rasm", "same letters, dots differ (scanned)"),) \
            if present is None or f"{f}_rasm" in present else ()
        # Term frequencies say how common a name is; a salted given name's tokens are one per family, so their
        # frequencies say nothing of the name, and would count every given name as rare.
        salted = f == "given_name" and present is not None and SALT in present
        tf = None if f == "mother_name" or salted else f
        head = (missing("name", f"{f}_skeleton"), exact("name.exact", f, "exact", tf=tf))
        if self.in_chain:
            alt = f"{f}_alt"
            levels = (*head,
                      exact("name.variant", f"{f}_canonical", "variant or nickname"),
                      Level("name.other_reading", "other reading (محمد علي)",
                            f"{alt}_l = {f}_r OR {f}_l = {alt}_r OR {alt}_l = {alt}_r"),
                      exact("name.skeleton", f"{f}_skeleton", "skeleton (cross-script)"),
                      *rasm,
                      dice("name.dice_high", bloom, 0.85, "similar spelling (Dice >= 0.85)"),
                      dice("name.dice_near", bloom, 0.7, "near spelling (Dice >= 0.7)"),
                      *(_swapped(swap, "written as the surname (swapped)") if f == "given_name" else ()),
                      *(_not_compared(present) if f == "given_name" else ()))
        elif f == "surname":
            levels = (*head,
                      exact("name.no_article", "surname_key", "same family name without ال / البو"),
                      exact("name.skeleton", "surname_skeleton", "skeleton (cross-script)"),
                      *rasm,
                      dice("name.dice_high", bloom, 0.8, "similar spelling (Dice >= 0.8)"),
                      dice("name.dice_near", bloom, 0.7, "near spelling (Dice >= 0.7)"),
                      *_swapped(swap, "written as the given name (swapped)"))
        else:  # the mother's name
            levels = (*head,
                      exact("name.variant", "mother_name_canonical", "variant or nickname"),
                      *rasm,
                      dice("name.dice_high", bloom, 0.8, "similar spelling (Dice >= 0.8)"),
                      exact("name.first_name", "mother_first", "same first name"))
        if f == "given_name" and _dated(present):
            levels = tuple(_or_dated(lv) for lv in levels)
        return [Comparison(f, (*levels, otherwise("name")), f"{f}_skeleton")]


@dataclass(frozen=True)
class NameChain(Field):
    """The five name parts, read together: a compound given name decides the chain (``identity.parse_name``)."""

    name: str = "name"
    parts: tuple[NamePart, ...] = tuple(NamePart(f) for f in NAME_FIELDS)

    def columns(self, spec: EncodingSpec) -> list[Column]:
        out = [c for p in self.parts for c in p.columns(spec)]
        return out + [c for p in self.parts for c in p.key_columns(spec)]

    def comparisons(self, swap=None, present=None) -> list[Comparison]:
        return [c for p in self.parts for c in p.comparisons(swap, present)]


@dataclass(frozen=True)
class BirthDate(Field):
    """Exact day, day and month swapped, same month, same year, a year apart; a registration default date
    (1 July / 1 January) is trusted to its year only. Two or three years apart only where one date is known
    to its year only (an age a family guessed, as a death register records it): two full dates that far
    apart are more often two siblings of one name than one person."""

    name: str = "birth_date"

    def columns(self, spec: EncodingSpec) -> list[Column]:
        return [
            ("birth_year", TOKEN, "token of the birth year"),
            ("birth_year_near", TOKEN, "token of the year after the birth year (under the year's key)"),
            ("birth_year_near2", TOKEN, "token of the birth year plus two (under the year's key)"),
            ("birth_year_near3", TOKEN, "token of the birth year plus three (under the year's key)"),
            ("birth_month", TOKEN, "token of the birth year and month"),
            ("birth_date", TOKEN, "token of the full birth date"),
            ("birth_date_swapped", TOKEN, "token of the birth date with day and month swapped (day <= 12)"),
            ("birth_precision", pa.int8(), "0 no date, 1 year, 2 month, 3 day"),
        ]

    def comparisons(self, swap=None, present=None) -> list[Comparison]:
        both_days = "birth_precision_l = 3 AND birth_precision_r = 3"
        return [Comparison(self.name, (
            missing("date", "birth_year"),
            Level("date.exact", "exact date", f"{both_days} AND birth_date_l = birth_date_r"),
            Level("date.swapped", "day and month swapped",
                  f"{both_days} AND (birth_date_swapped_l = birth_date_r OR birth_date_l = birth_date_swapped_r)"),
            Level("date.month", "same year and month", "birth_month_l = birth_month_r"),
            Level("date.year_only", "same year (a date known to its year only)",
                  "birth_year_l = birth_year_r AND (birth_precision_l = 1 OR birth_precision_r = 1)"),
            exact("date.year", "birth_year", "same year, different day"),
            Level("date.year_apart", "a year apart",
                  "birth_year_near_l = birth_year_r OR birth_year_l = birth_year_near_r"),
            Level("date.years_apart", "two or three years apart, one date known to its year only",
                  "(birth_precision_l = 1 OR birth_precision_r = 1) AND ("
                  "birth_year_near2_l = birth_year_r OR birth_year_l = birth_year_near2_r "
                  "OR birth_year_near3_l = birth_year_r OR birth_year_l = birth_year_near3_r)"),
            otherwise("date"),
        ), "birth_year")]


@dataclass(frozen=True)
class Categorical(Field):
    """A value from a short list (sex, governorate): the same token or not."""

    name: str
    code: str  # the prefix of its level codes

    def columns(self, spec: EncodingSpec) -> list[Column]:
        return [(self.name, TOKEN, f"token of the {self.name}")]

    def comparisons(self, swap=None, present=None) -> list[Comparison]:
        return [Comparison(self.name, (missing(self.code, self.name),
                                       exact(f"{self.code}.exact", self.name, f"same {self.name}"),
                                       otherwise(self.code)), self.name)]


@dataclass(frozen=True)
class Extra(Field):
    """A field declared by the cycle's schemas under ``extra:`` (an address, a locality): the token of its
    normalised value (term-frequency adjusted: agreeing on a common locality weighs less), and for ``text``
    a Bloom filter compared by Dice bands; missing on either side is neutral."""

    extra: ExtraField

    @property
    def name(self) -> str:
        return self.extra.name

    def columns(self, spec: EncodingSpec) -> list[Column]:
        x, out = self.extra, []
        if x.kind == "exact" or spec.hardening.name_tokens:
            out.append((x.token_column, TOKEN, f"token of the normalised {x.name} (extra field, {x.kind})"))
        if x.bloom_column:
            out.append((x.bloom_column, pa.binary(spec.bloom_bytes),
                        f"Bloom filter of the character {spec.bloom.qgram}-grams of {x.name} (extra field)"))
        return out

    def comparisons(self, swap=None, present=None) -> list[Comparison]:
        token, bloom = self.extra.token_column, self.extra.bloom_column
        levels: list[Level] = [missing("extra", f"{bloom}_bits" if bloom else token)]
        if present is None or token in present:
            levels.append(exact("extra.exact", token, "exact", tf=token))
        if bloom:
            levels += [dice("extra.dice_high", bloom, 0.85, "similar (Dice >= 0.85)"),
                       dice("extra.dice_near", bloom, 0.7, "near (Dice >= 0.7)")]
        presence = f"{bloom}_bits" if bloom else token
        return [Comparison(self.name, (*levels, otherwise("extra")), presence, f"extra field ({self.extra.kind})")]


BLOCK_PREFIX = "block_"


@dataclass(frozen=True)
class Blocking(Field):
    """A blocking token: two or more fields' values hashed together, so that no single common name opens a
    block. Used by the hub to find candidate pairs, not compared."""

    key: BlockingKey

    @property
    def name(self) -> str:
        return BLOCK_PREFIX + self.key.name

    def columns(self, spec: EncodingSpec) -> list[Column]:
        k = self.key
        return [(self.name, TOKEN, "blocking token of " + " + ".join(k.parts) + (" (in any order)" if k.any_order
                                                                                 else ""))]


NATIONAL_ID, RATION_CARD, NAMES, BIRTH_DATE = NationalId(), RationCard(), NameChain(), BirthDate()
SEX, GOVERNORATE = Categorical("sex", "sex"), Categorical("governorate", "gov")


@dataclass(frozen=True)
class Fields:
    """A cycle's encoded fields, in the package's column order and in the hub's comparison order."""

    extra: tuple[Extra, ...] = ()
    blocking: tuple[Blocking, ...] = ()
    person: tuple[Field, ...] = field(default=(NATIONAL_ID, RATION_CARD, NAMES, BIRTH_DATE, SEX, GOVERNORATE))

    @classmethod
    def of(cls, spec: EncodingSpec) -> Fields:
        return cls(tuple(Extra(x) for x in spec.extra), tuple(Blocking(b) for b in spec.blocking))

    @property
    def in_package(self) -> tuple[Field, ...]:
        return (*self.person, *self.extra, *self.blocking)

    @property
    def compared(self) -> tuple[Field, ...]:
        """The hub compares names first, then the birth date, identifiers and the rest."""
        return (NAMES, BIRTH_DATE, NATIONAL_ID, RATION_CARD, SEX, GOVERNORATE, *self.extra)

    def columns(self, spec: EncodingSpec) -> list[Column]:
        out: list[Column] = [("ref", pa.string(), "pseudonymous reference of the record, random per package")]
        for f in self.in_package:
            out += f.columns(spec)
        return [*out, ("payload", pa.binary(), "payload sealed for the registry (nonce + ciphertext)")]

    def comparisons(self, swap: str | None = None, present: set[str] | None = None) -> list[Comparison]:
        return [c for f in self.compared for c in f.comparisons(swap, present)]


# The hub's exact stage (the same national ID and a name part): its levels, beside the model's.
EXACT_STAGE = {
    "national_id": NATIONAL_ID.comparisons()[0].levels[1],
    "name": (Level("name.same_or_variant", "same name or variant", ""),
             Level("name.skeleton", "skeleton (cross-script)", ""),
             Level("name.missing", "missing", ""), Level("name.disagree", "disagree", "")),
}


def every_level(extra: Iterable[ExtraField] = ()) -> list[tuple[str, Level]]:
    """(comparison, level) of every level a hit can carry: the model's comparisons (with a swap level and
    the given extra fields), the exact stage's and a tie."""
    from_extra = tuple(Extra(x) for x in extra)
    out = [(c.name, lv) for c in Fields(from_extra).comparisons(swap="block_swap") for lv in c.levels]
    return [*out, *(("given_name", lv) for lv in EXACT_STAGE["name"]), ("*", Level(TIE, TIE_LABEL, ""))]
