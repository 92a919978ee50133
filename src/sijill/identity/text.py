"""One ordered normalisation pipeline for Arabic (and Latin) name text.

Every data holder runs exactly this before encoding, so two clerks' spellings of one name meet.
The steps and their order are part of the identity version: change one and matching across
packages made with different versions breaks.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

# Invisible controls that clerks' keyboards and Word insert; removed, never turned into a space.
_INVISIBLE = "\u200c\u200d\u200e\u200f\u061c\ufeff\u200b\u2060\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Apostrophes and ayn/hamza signs in Latin spellings (Sa'ad, Ja’far, Ismaʿil) are deleted, not word breaks.
_APOSTROPHES = "'\u2018\u2019\u02bb\u02bc\u02bd\u02be\u02bf`\u00b4"
# Arabizi writes a dotted letter as the digit of its undotted twin and an apostrophe: 3' غ, 7' خ, 6' ظ, 9' ض.
_ARABIZI_DOTTED = re.compile("([3679])[" + _APOSTROPHES + "]")
_ARABIZI_LETTER = {"3": "gh", "7": "kh", "6": "dh", "9": "dh"}

_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}

# Harakat, superscript alef, Quranic marks, other combining Arabic marks, and tatweel.
_MARKS = [*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), 0x0640]

_LETTERS = {
    # Persian and Kurdish letters to the Arabic letter an Iraqi clerk would write.
    "ک": "ك", "ڪ": "ك", "ی": "ي", "ێ": "ي", "ې": "ي", "ۍ": "ي", "ے": "ي", "ۓ": "ي",
    "ھ": "ه", "ۀ": "ه", "ە": "ه", "ۂ": "ه", "ہ": "ه",
    "پ": "ب", "ڤ": "ف", "ژ": "ز", "ڕ": "ر", "ڵ": "ل", "ۆ": "و", "ۇ": "و", "ۋ": "و", "ۊ": "و",
    "چ": "ج", "گ": "ق", "ڰ": "ق", "ڭ": "ك",
    # Hamza carriers and alef forms.
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ؤ": "و", "ئ": "ي", "ء": "",
    "ى": "ي", "ة": "ه",
}

# Kurdish writes every vowel: a word-initial ئ is only a seat (ئاراس = اراس, ئەحمەد = احمد) and
# the vowel ە is not written in Arabic spelling except at the end, where it stands for ة.
_KURDISH_SEAT = re.compile(r"(?<![\u0621-\u06ff])ئ[اە]?")
_KURDISH_VOWEL = re.compile(r"ە(?=[\u0621-\u06ff])")

_TABLE = str.maketrans(
    {c: None for c in _INVISIBLE + _APOSTROPHES} | _DIGITS | dict.fromkeys(_MARKS) | _LETTERS
)

# After the table: anything that is neither a letter nor a digit separates words.
_SEPARATORS = re.compile(r"[\W_]+")

# Words joined to the word after them, tried in this order.
_JOIN_PREFIXES = (
    frozenset({"ال", "al", "el", "البو", "albu"}),
    frozenset({"عبد", "abd", "abdul", "abdel", "abdal", "abdol", "abdil", "abdu"}),
    frozenset({"ابو", "abu", "abo", "abou"}),
)


@cache
def _compound_suffixes() -> frozenset[str]:
    """Second words of one given name (سيف الدين, نور الهدى, خير الله), from the data file."""
    text = (resources.files("sijill.identity") / "data" / "compound_suffixes.txt").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return frozenset("".join(_join_prefixes(list(_normalize_chunk(ln)))) for ln in lines)


# The article written apart as it is pronounced, assimilated to a sun letter (aš-Šammarī, Nur ad-Din,
# as-Saadi) or as ul (Nur ul Huda), is the article al: it is written so before joining, as Arabic writes ال.
_SPOKEN_ARTICLE = re.compile(r"[aeu](sh|th|dh|t|d|r|z|s|n)|ul")


def _unassimilate(words: list[str]) -> list[str]:
    out = words
    for i in range(len(words) - 1):
        w = words[i]
        m = _SPOKEN_ARTICLE.fullmatch(w) if len(w) <= 3 and w[0] in "aeu" else None
        if m and words[i + 1].startswith(m.group(1) or ""):
            out = out if out is not words else list(words)
            out[i] = "al"
    return out


def _join_prefixes(words: list[str]) -> list[str]:
    words = _unassimilate(words)
    for prefixes in _JOIN_PREFIXES:
        joined: list[str] = []
        i = 0
        while i < len(words):
            if words[i] == "ال" and i + 1 < len(words) and words[i + 1].startswith("ال"):
                i += 1  # آل الحكيم is the family الحكيم: the article is not written twice
            elif words[i] in prefixes and i + 1 < len(words):
                joined.append(words[i] + words[i + 1])
                i += 2
            else:
                joined.append(words[i])
                i += 1
        words = joined
    return words


def _join_compounds(words: list[str]) -> list[str]:
    """ال / البو, عبد and ابو to the next word, then الدين, الله, الهدى... to the word before."""
    words = _join_prefixes(words)
    if len(words) < 2:
        return words
    suffixes = _compound_suffixes()
    joined = [words[0]]
    for w in words[1:]:
        if w in suffixes:
            joined[-1] += w
        else:
            joined.append(w)
    return joined


@lru_cache(maxsize=200_000)
def normalize_text(s: str | None) -> str:
    """Normalise name text so that spellings of one name by different clerks become equal.

    Latin letters are lower-cased; Arabic is reduced to the letters a clerk could not vary.
    Empty or missing input gives ``""``.
    """
    if not s:
        return ""
    words = [w for chunk in s.split() for w in _normalize_chunk(chunk)]
    return " ".join(_join_compounds(words))


# Latin letters with accents, and combining marks left after NFKC.
_ACCENTED = re.compile(r"[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")
# Accented letters that stand for a digraph (ISO 233 / DIN 31635 š ṯ ḏ ḫ ġ ǧ, Kurdish and Turkish ş ç ğ) or
# for a long vowel (ALA-LC ī ū, Kurdish ê î û) keep what they say; other accents go (ḥ ṣ ṭ ẓ ā ü ö é).
_ACCENT_LETTERS = str.maketrans({
    "š": "sh", "ş": "sh", "ș": "sh", "ç": "ch", "č": "ch", "ž": "zh", "ğ": "gh", "ġ": "gh", "ǧ": "j",
    "ḫ": "kh", "ẖ": "kh", "ṯ": "th", "ḏ": "dh", "ḍ": "dh", "ı": "i",
    "ī": "ii", "ū": "uu", "ê": "ee", "î": "ii", "û": "uu",
})


@lru_cache(maxsize=100_000)
def _normalize_chunk(s: str) -> tuple[str, ...]:
    """Steps 1-9 on one whitespace-free chunk: names repeat, so chunks are cached, not whole strings."""
    s = unicodedata.normalize("NFKC", s)
    s = _ARABIZI_DOTTED.sub(lambda m: _ARABIZI_LETTER[m.group(1)], s)
    if "ئ" in s or "ە" in s:
        s = _KURDISH_VOWEL.sub("", _KURDISH_SEAT.sub("ا", s))
    s = s.translate(_TABLE).lower()
    if _ACCENTED.search(s):
        # Accents on Latin letters (Hüseyin, İbrahim) go; Arabic marks are already gone.
        s = s.translate(_ACCENT_LETTERS)
        s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return tuple(_SEPARATORS.sub(" ", s).split())


def strip_invisible(s: str) -> str:
    """Delete the invisible controls (RLM before a date in an Arabic Excel export)."""
    return s.translate(_INVISIBLE_TABLE)


_INVISIBLE_TABLE = str.maketrans(dict.fromkeys(_INVISIBLE))
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def is_latin(s: str) -> bool:
    """True when the text has Latin letters and no Arabic ones (a bank's spelling)."""
    return not _ARABIC_LETTER.search(s) and bool(_LATIN_LETTER.search(s))


_DIGIT_TABLE = str.maketrans(_DIGITS)


def to_ascii_digits(s: str) -> str:
    """Arabic-Indic and Persian digits (and any other Unicode decimal digit) to ASCII."""
    s = s.translate(_DIGIT_TABLE)
    if s.isascii():
        return s
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in s)
