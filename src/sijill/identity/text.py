"""One ordered normalisation pipeline for Arabic (and Latin) name text.

Every data holder runs exactly this before encoding, so two clerks' spellings of one name meet.
The steps and their order are part of the identity version: change one and matching across
packages made with different versions breaks.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Invisible controls that clerks' keyboards and Word insert; removed, never turned into a space.
_INVISIBLE = "\u200c\u200d\u200e\u200f\u061c\ufeff\u200b\u2060\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

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
    {c: None for c in _INVISIBLE} | _DIGITS | dict.fromkeys(_MARKS) | _LETTERS
)

# After the table: anything that is neither a letter nor a digit separates words.
_SEPARATORS = re.compile(r"[\W_]+")

# Words joined to the word after them, tried in this order.
_JOIN_PREFIXES = (
    frozenset({"ال", "al", "el", "البو", "albu"}),
    frozenset({"عبد", "abd", "abdul", "abdel", "abdal", "abdol", "abdil", "abdu"}),
    frozenset({"ابو", "abu", "abo", "abou"}),
)


def _join_compounds(words: list[str]) -> list[str]:
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


@lru_cache(maxsize=200_000)
def normalize_text(s: str | None) -> str:
    """Normalise name text so that spellings of one name by different clerks become equal.

    Latin letters are lower-cased; Arabic is reduced to the letters a clerk could not vary.
    Empty or missing input gives ``""``.
    """
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", s)
    if "ئ" in s or "ە" in s:
        s = _KURDISH_VOWEL.sub("", _KURDISH_SEAT.sub("ا", s))
    s = s.translate(_TABLE).lower()
    if not s.isascii():
        # Accents on Latin letters (Hüseyin, İbrahim) go; Arabic marks are already gone.
        s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    words = _SEPARATORS.sub(" ", s).split()
    return " ".join(_join_compounds(words))


def is_latin(s: str) -> bool:
    """True when the text has Latin letters and no Arabic ones (a bank's spelling)."""
    has_latin = False
    for ch in s:
        if "\u0600" <= ch <= "\u06ff":
            return False
        if ch.isascii() and ch.isalpha():
            has_latin = True
    return has_latin


_DIGIT_TABLE = str.maketrans(_DIGITS)


def to_ascii_digits(s: str) -> str:
    """Arabic-Indic and Persian digits (and any other Unicode decimal digit) to ASCII."""
    s = s.translate(_DIGIT_TABLE)
    if s.isascii():
        return s
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in s)
