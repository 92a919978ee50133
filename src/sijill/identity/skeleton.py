"""Cross-script keys: a Latin spelling and an Arabic spelling of one name meet on the same skeleton.

A lexicon of Iraqi names decides first; letter rules are the fallback for names it lacks. The
skeleton keeps long vowels (و, ي) so that Hassan (حسن) and Hussein (حسين) stay apart, which English
phonetic codes such as Metaphone or NYSIIS do not.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import latin, lexicon
from .text import is_latin, normalize_text


def latin_to_arabic_key(s: str | None) -> str:
    """The Arabic form of a Latin-script name: the lexicon's name, else the letter rules' reading."""
    return " ".join(latin.reading(w) for w in normalize_text(s).split())


@lru_cache(maxsize=100_000)
def canonical_word(word: str) -> str:
    """The canonical Arabic form of one normalised word in either script (variants collapse)."""
    if is_latin(word):
        word = latin.reading(word)
    return lexicon.variants().get(word, word)


@lru_cache(maxsize=200_000)
def canonical(s: str | None) -> str:
    """Spelling variants and nicknames to one canonical form: داوود -> داود, حمودي -> محمد."""
    return canonical_of_normalized(normalize_text(s)) or ""


# Letters a transliteration or a clerk's ear confuses share one class.
_CLASSES = str.maketrans({
    # ض goes with ذ/ظ/ز: Iraqi Latin spellings write it dh (Ramadhan) and Kurdish writes ز (ڕەزا = رضا).
    "ح": "ه", "ق": "ك", "ص": "س", "ث": "س", "ذ": "ز", "ظ": "ز", "ض": "ز", "ط": "ت", "ع": "ا",
})
_REPEATS = re.compile(r"(.)\1+")


_NOT_SKELETON = re.compile("[^ابتجخدرزسشغفكلمنهوي]+")


def _skeleton_of_arabic(word: str) -> str:
    """Letter classes, no ا after the first letter, no doubled letter, no final ة / ه."""
    s = _NOT_SKELETON.sub("", word.translate(_CLASSES))
    s = _REPEATS.sub(r"\1", s[:1] + s[1:].replace("ا", ""))
    if s.endswith("ه") and len(s) > 1:
        s = s[:-1]  # ta marbuta and final h: Fatima, فاطمة; Saleh, صالح
    return s


@lru_cache(maxsize=100_000)
def _word_skeleton(word: str) -> str:
    """The skeleton of one normalised word in either script: the one key both scripts meet on."""
    return _skeleton_of_arabic(canonical_word(word))


@lru_cache(maxsize=100_000)
def _bloom_words(word: str) -> tuple[str, ...]:
    if not is_latin(word):
        return (_word_skeleton(word),)
    variants = lexicon.variants()
    return tuple(dict.fromkeys(_skeleton_of_arabic(variants.get(r, r)) for r in latin.readings(word)))


@lru_cache(maxsize=200_000)
def bloom_text(s: str | None) -> str:
    """What a name's Bloom filter is made of, in either script: the skeleton of each word, and for a Latin
    word the Bloom lexicon does not know, also the skeleton of its other reading (single vowels long).

    Latin and Arabic spellings of one name then share most of their q-grams (Dice >= 0.7), while
    حسن / حسين stay below 0.7: see tests/identity/romanisation_cases.csv.
    """
    words = (w for word in normalize_text(s).split() for w in _bloom_words(word))
    return " ".join(dict.fromkeys(w for w in words if w))


@lru_cache(maxsize=200_000)
def skeleton(s: str | None) -> str:
    """A loose key equal for the Arabic and Latin spellings of one name (Mohammed = محمد)."""
    return skeleton_of_normalized(normalize_text(s)) or ""


@lru_cache(maxsize=200_000)
def skeleton_of_normalized(text: str | None) -> str | None:
    """``skeleton`` of text already normalised (a NameChain part); ``None`` stays ``None``."""
    if not text:
        return None
    if " " not in text:
        return _word_skeleton(text) or None
    return " ".join(filter(None, map(_word_skeleton, text.split()))) or None


@lru_cache(maxsize=200_000)
def canonical_of_normalized(text: str | None) -> str | None:
    """``canonical`` of text already normalised (a NameChain part); ``None`` stays ``None``."""
    if not text:
        return None
    if " " not in text:
        return canonical_word(text)
    return " ".join(map(canonical_word, text.split()))
