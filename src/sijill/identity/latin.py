"""A Latin spelling read back into Arabic letters, for names the Latin lexicon does not know.

Clerks, banks, passports, libraries (ALA-LC, ISO 233 / DIN 31635), Kurdish and Turkish spellings and
Arabizi (3 = ع, 7 = ح) each write a name their own way; ``normalize_text`` has already resolved their
accented letters (š -> sh, ī -> ii, ê -> ee) and digits with an apostrophe (3' -> gh). What is left is
read here with letter rules (``data/latin_letters.tsv``) and compound parts (``data/latin_affixes.tsv``).

Arabic writes no short vowels, and a Latin spelling rarely says whether a single i or u is short or
long (Hakim = حكيم, Kadhim = كاظم). The first reading takes a single vowel inside the word as short; the
second takes the last single i, u or o inside it as long (the long vowel of فعيل, فعول, مفعول is the last);
the skeleton uses the first reading, the Bloom filter both.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

from . import lexicon
from .text import normalize_text

_ALEF, _YEH, _WAW = "ا", "ي", "و"


class _Letter(NamedTuple):
    latin: str
    kind: str  # consonant, long, short or hamza
    arabic: str


@cache
def _letters() -> dict[str, _Letter]:
    out = {}
    for line in lexicon.data_lines("latin_letters.tsv"):
        latin, kind, *arabic = line.split("\t")
        out[latin] = _Letter(latin, kind, arabic[0] if arabic else "")
    return out


@cache
def _letter_pattern() -> re.Pattern[str]:
    spellings = sorted(_letters(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, spellings)))


def _spell(word: str) -> tuple[str, str]:
    """Letter rules: the reading with single vowels short, and the one with them long."""
    letters = _letters()
    found = [letters[m.group()] for m in _letter_pattern().finditer(word)]
    # A doubled consonant (shadda in Arabic) is written once.
    tokens = [t for i, t in enumerate(found) if not (t.kind == "consonant" and i and found[i - 1] == t)]
    short: list[str] = []
    long: list[str] = []
    last = len(tokens) - 1
    # The long reading lengthens the last single vowel inside the word: Hakim = حكيم, Mansur = منصور.
    lengthen = max((i for i, t in enumerate(tokens[1:-1], 1) if t.kind == "short"), default=-1)
    for i, t in enumerate(tokens):
        if t.kind == "consonant":
            short.append(t.arabic)
            long.append(t.arabic)
            continue
        if t.kind == "hamza":
            continue
        before_vowel = i < last and tokens[i + 1].kind != "consonant"
        after_hamza = i > 0 and tokens[i - 1].kind == "hamza"
        if i == 0:
            # A word-initial vowel is written ا (or ع, the same in the skeleton); a long ee / ai adds its ي.
            letter = _ALEF + (t.arabic if t.kind == "long" and t.arabic == _YEH else "")
            short.append(letter)
            long.append(letter)
        elif t.kind == "long":
            short.append(t.arabic)
            long.append(t.arabic)
        elif i == last:
            # Ali, Abdu, Sherko; a final a or e is ة, ا or ه (not kept), or ى in the long reading (Huda).
            letter = "" if t.latin in "ae" else t.arabic
            short.append(letter)
            long.append(letter)
        elif (before_vowel and t.latin in "iu") or (after_hamza and t.latin in "ie"):
            short.append(t.arabic)  # Ziad, Fuad: a glide; Ra2ed: the hamza's seat ئ
            long.append(t.arabic)
        elif t.latin in "iuo" and i == lengthen:
            long.append(t.arabic)
    return "".join(short), "".join(long)


class _Affix(NamedTuple):
    arabic: str
    pattern: re.Pattern[str]


@cache
def _affixes() -> tuple[tuple[_Affix, ...], tuple[_Affix, ...]]:
    prefixes, suffixes = [], []
    for line in lexicon.data_lines("latin_affixes.tsv"):
        kind, arabic, spellings = line.split("\t")
        arabic = normalize_text(arabic).replace(" ", "")
        alternatives = "|".join(sorted(spellings.split("|"), key=len, reverse=True))
        if kind == "prefix":
            # The article after it, if written: al/el/ul..., a vowel before a doubled letter, or a vowel.
            link = r"(?P<link>[aeiou]l|[aeiou](?=(?P<double>[^aeiou])(?P=double))|[aeiou])"
            pattern = rf"(?:{alternatives})(?:{link}(?P<rest>.{{3,}})|(?P<bare>[^aeiou0-9].{{2,}}))"
            prefixes.append(_Affix(arabic, re.compile(pattern)))
        else:
            # The article between the parts: al/ul..., a vowel and a doubled sun letter (Nasruddin), or, where
            # it may be missing altogether (Nasr Din), only a vowel (Salahudeen).
            link = r"[aeiou]l|[aeiou](?=(?P<double>[^aeiou])(?P=double))(?P=double)"
            link = rf"(?:{link}|[aeiou])?" if kind == "suffix" else rf"(?:{link})"
            pattern = rf"(?P<head>.{{3,}}?){link}(?:{alternatives})"
            suffixes.append(_Affix(arabic, re.compile(pattern)))
    return tuple(prefixes), tuple(suffixes)


def _compound(word: str) -> str | None:
    """عبد / ابو + name, name + الدين / الله ...: each part read apart, the article written ال."""
    prefixes, suffixes = _affixes()
    for affix in prefixes:
        if m := affix.pattern.fullmatch(word):
            if m.group("bare"):
                return affix.arabic + reading(m.group("bare"))
            rest = m.group("rest")
            if m.group("double"):
                rest = rest[1:]
            article = "ال" if affix.arabic == "عبد" else ""
            return affix.arabic + article + reading(rest)
    for affix in suffixes:
        if m := affix.pattern.fullmatch(word):
            return reading(m.group("head")) + affix.arabic
    return None


@lru_cache(maxsize=100_000)
def readings(word: str) -> tuple[str, ...]:
    """The Arabic spellings one normalised Latin word may stand for, the likeliest first.

    The lexicon's name when it knows the word (with al- / albu- in front); else a compound read by its
    parts; else the letter rules' two readings (one when they agree).
    """
    names = lexicon.latin_names()
    if word in names:
        return (names[word],)
    for prefix, arabic in (("albu", "البو"), ("al", "ال"), ("el", "ال")):
        rest = word[len(prefix) :]
        if word.startswith(prefix) and rest in names:
            return (arabic + names[rest],)
    if compound := _compound(word):
        return (compound,)
    return tuple(dict.fromkeys(_spell(word)))


def reading(word: str) -> str:
    """The likeliest Arabic spelling of one normalised Latin word."""
    return readings(word)[0]
