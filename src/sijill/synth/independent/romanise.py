"""Latin spellings of an Arabic name, written from its vocalised ALA-LC form under one of five conventions.

A name is cut into sounds (``ḥ``, ``th``, ``ā``, the article, ``ʻAbd al-``...); each convention maps every
sound to one spelling (ALA-LC, ISO 233, the Iraqi passport) or to weighted choices drawn sound by sound (a bank
clerk's own spelling, Arabizi typed by the customer). The table is data/romanisation.csv.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

CONVENTIONS = ("ala_lc", "iso233", "passport", "bank", "arabizi")
_DIGRAPHS = ("th", "kh", "dh", "sh", "gh", "ch", "zh")
_VOWELS = frozenset("aiueoāīūēōá")
_SUN = frozenset({"t", "th", "d", "dh", "r", "z", "s", "sh", "ṣ", "ḍ", "ṭ", "ẓ", "l", "n"})
_VOWELS_AND_DIPHTHONGS = _VOWELS | {"ay", "aw", "ī$"}
_WORD_STARTS = frozenset({"", " ", "-", "al-", "ʻabd al-"})
_TRIPLE = re.compile(r"([a-z])\1\1+", re.IGNORECASE)
_NOT_LETTERS = frozenset("ʻʼʿʾ'-0123456789 ")


@dataclass(frozen=True)
class Choices:
    """The spellings of one sound in one convention, with their weights ("_" is written as nothing)."""

    spellings: tuple[str, ...]
    weights: tuple[float, ...]

    @classmethod
    def parse(cls, cell: str) -> Choices:
        spellings, weights = [], []
        for option in cell.split("|"):
            text, _, weight = option.rpartition(":") if ":" in option and option.rsplit(":", 1)[1].isdigit() \
                else (option, "", "1")
            spellings.append("" if text == "_" else text)
            weights.append(float(weight))
        return cls(tuple(spellings), tuple(weights))

    def pick(self, rng: random.Random | None) -> str:
        if rng is None or len(self.spellings) == 1:
            return self.spellings[int(max(range(len(self.weights)), key=self.weights.__getitem__))]
        return rng.choices(self.spellings, self.weights)[0]


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, Choices]]:
    """sound -> convention -> choices, from data/romanisation.csv."""
    path = files(__package__) / "data" / "romanisation.csv"
    with path.open(encoding="utf-8") as f:
        return {r["token"]: {c: Choices.parse(r[c]) for c in CONVENTIONS} for r in csv.DictReader(f)}


def sounds(base: str, ends_in_taa_marbuta: bool = False) -> list[str]:
    """Cut a vocalised ALA-LC name into the sounds of the table; spaces and hyphens are kept as they are."""
    text = base.lower()
    out: list[str] = []
    if text.startswith("ʻabd allāh"):
        out.append("ʻabd allāh")
        text = text[len("ʻabd allāh"):]
    elif text.startswith("ʻabd al-"):
        out.append("ʻabd al-")
        text = text[len("ʻabd al-"):]
    i = 0
    while i < len(text):
        at_word_start = i == 0 or text[i - 1] == " "
        if at_word_start and text.startswith("al-", i):
            out.append("al-")
            i += 3
            continue
        pair = text[i : i + 2]
        following = text[i + 2 : i + 3]
        if (pair in ("ay", "aw") and following not in _VOWELS) or pair in _DIGRAPHS:
            out.append(pair)
            i += 2
        elif text[i] == "ʻ" and (not out or out[-1] in _WORD_STARTS):
            out.append("ʻ^")  # ع opening a word: a clerk leaves it out or writes an apostrophe
            i += 1
        elif text[i] == "y" and out and out[-1] in ("i", "ī") and text[i + 1 : i + 2] in _VOWELS:
            out.append("y~")  # the glide of Ziyād, Ḍiyāʼ: often not written (Ziad, Dhiaa)
            i += 1
        elif text[i] == "ī" and (i + 1 == len(text) or text[i + 1] in " -"):
            out.append("ī$")
            i += 1
        else:
            out.append(text[i])
            i += 1
    if ends_in_taa_marbuta and out[-2:] == ["a", "h"]:
        out[-2:] = ["ah$"]
    return out


def romanise(base: str, convention: str, rng: random.Random | None = None, ends_in_taa_marbuta: bool = False,
             drop_doubles: float = 0.0) -> str:
    """One Latin spelling of ``base`` (vocalised ALA-LC) under ``convention``.

    Without ``rng`` every sound takes its most common spelling, so ALA-LC, ISO 233 and the passport are fixed;
    with ``rng`` a bank clerk or an Arabizi typist spells each sound afresh, and drops a doubled consonant with
    probability ``drop_doubles``.
    """
    for _ in range(5 if rng is not None else 1):
        text = _spell(base, convention, rng, ends_in_taa_marbuta, drop_doubles)
        if not _TRIPLE.search(text):
            break
    else:
        text = _spell(base, convention, None, ends_in_taa_marbuta, 0.0)  # nobody writes Zahraaa
    return _case(text, convention)


def _spell(base: str, convention: str, rng: random.Random | None, ends_in_taa_marbuta: bool,
           drop_doubles: float) -> str:
    rules = table()
    parts: list[str] = []
    tokens = sounds(base, ends_in_taa_marbuta)
    firsts = _kept_vowels(tokens, convention)
    for k, token in enumerate(tokens):
        if token in (" ", "-"):
            parts.append(token)
            continue
        if token not in rules:
            raise ValueError(f"{base!r}: no spelling for {token!r}")
        previous = tokens[k - 1] if k else ""
        following = tokens[k + 1] if k + 1 < len(tokens) else ""
        if convention == "passport" and token in ("ʻ", "ʻ^", "ʼ"):
            parts.append("A" if previous in ("a", "ā") else "")
            continue
        if rng is not None and drop_doubles and token == previous and token not in _VOWELS \
                and rng.random() < drop_doubles:
            continue
        spelling = rules[token][convention].pick(rng)
        if not spelling and k in firsts:
            spelling = rules[token][convention].pick(None)  # a clerk drops inner vowels, never the first (Amal)
        if _doubled(spelling) and not (previous in _VOWELS_AND_DIPHTHONGS and following in _VOWELS_AND_DIPHTHONGS):
            spelling = spelling[0]
        if spelling == "SUN":
            spelling = f"A{rules[following][convention].pick(None)}-" if following in _SUN else "Al-"
        parts.append(spelling)
    return "".join(parts)


def _case(text: str, convention: str) -> str:
    """Passports are upper case, Arabizi lower case; otherwise each word (and what follows a hyphen) opens with
    a capital, but ALA-LC and ISO 233 keep the article in lower case (al-Jubūrī)."""
    if convention == "passport":
        return text.upper()
    if convention == "arabizi":
        return text.lower()
    words = []
    for word in text.split(" "):
        pieces = word.split("-")
        pieces = [_capital(p) if not (convention in ("ala_lc", "iso233") and p == "al" and j < len(pieces) - 1)
                  else p for j, p in enumerate(pieces)]
        words.append("-".join(pieces))
    return " ".join(words)


def _capital(word: str) -> str:
    for i, ch in enumerate(word):
        if ch not in _NOT_LETTERS:
            return word[:i] + ch.upper() + word[i + 1 :]
    return word


def spelling_pattern(base: str, convention: str, ends_in_taa_marbuta: bool = False) -> re.Pattern[str]:
    """Every spelling ``convention`` can give ``base``, as one case-blind regular expression (for checking a
    spelling seen in a file or a table of cases)."""
    rules = table()
    tokens = sounds(base, ends_in_taa_marbuta)
    firsts = _kept_vowels(tokens, convention)
    parts = []
    for k, token in enumerate(tokens):
        if token in (" ", "-"):
            parts.append(re.escape(token))
            continue
        previous = tokens[k - 1] if k else ""
        following = tokens[k + 1] if k + 1 < len(tokens) else ""
        if convention == "passport" and token in ("ʻ", "ʻ^", "ʼ"):
            options = {"A" if previous in ("a", "ā") else ""}
        else:
            options = set(rules[token][convention].spellings)
            if k in firsts:
                options.discard("")
            if not (previous in _VOWELS_AND_DIPHTHONGS and following in _VOWELS_AND_DIPHTHONGS):
                options = {o[0] if _doubled(o) else o for o in options}
        if "SUN" in options:
            options.discard("SUN")
            options |= {f"A{s}-" for s in rules[following][convention].spellings} if following in _SUN else {"Al-"}
        if convention in ("bank", "arabizi") and token == previous and token not in _VOWELS:
            options.add("")
        parts.append("(?:" + "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True)) + ")")
    no_triples = r"(?!.*([a-z])\1\1)" if convention in ("bank", "arabizi") else ""
    return re.compile(no_triples + "".join(parts), re.IGNORECASE)


def _kept_vowels(tokens: list[str], convention: str) -> set[int]:
    """Positions of the vowels a writer never drops: a bank clerk keeps each word's first vowel (Amal is never
    Mal, Bamtan never Bmtan); an Arabizi typist only a vowel that opens a word (7sein, but never ml for Amal)."""
    openings = _WORD_STARTS | {"ʻ^"}
    if convention == "arabizi":
        return {k for k, t in enumerate(tokens)
                if t in _VOWELS_AND_DIPHTHONGS and (k == 0 or tokens[k - 1] in openings)}
    kept, seen = set(), False
    for k, token in enumerate(tokens):
        if token in _WORD_STARTS:
            seen = False
        elif token in _VOWELS_AND_DIPHTHONGS and not seen:
            kept.add(k)
            seen = True
    return kept


def _doubled(spelling: str) -> bool:
    """A clerk's doubled consonant (ss for س), written only between vowels (Hussein, not Ssalim)."""
    return len(spelling) == 2 and spelling[0] == spelling[1] and spelling[0].lower() not in "aeiou"
