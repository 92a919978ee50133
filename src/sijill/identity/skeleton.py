"""Cross-script keys: a Latin spelling and an Arabic spelling of one name meet on the same skeleton.

A lexicon of Iraqi names decides first; letter rules are the fallback for names it lacks. The
skeleton keeps long vowels (و, ي) so that Hassan (حسن) and Hussein (حسين) stay apart, which English
phonetic codes such as Metaphone or NYSIIS do not.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import lexicon
from .text import is_latin, normalize_text

# Latin letter rules, longest first. Short vowels vanish (Arabic does not write them);
# long ones become و / ي; a word-initial vowel becomes ا as the Arabic spelling starts with ا or ع.
_LATIN_RULES = [
    ("kh", "خ"), ("sh", "ش"), ("th", "ث"), ("dh", "ذ"), ("gh", "غ"), ("ch", "ج"), ("ph", "ف"),
    ("ou", "و"), ("oo", "و"), ("uu", "و"), ("ee", "ي"), ("ii", "ي"), ("ei", "ي"), ("ey", "ي"),
    ("ai", "ي"), ("ay", "ي"), ("ie", "ي"), ("aa", "ا"),
    ("b", "ب"), ("p", "ب"), ("t", "ت"), ("j", "ج"), ("h", "ه"), ("d", "د"), ("r", "ر"),
    ("z", "ز"), ("s", "س"), ("f", "ف"), ("v", "ف"), ("q", "ق"), ("k", "ك"), ("c", "ك"),
    ("g", "ق"), ("l", "ل"), ("m", "م"), ("n", "ن"), ("w", "و"), ("y", "ي"), ("x", "كس"),
]
_LATIN_PATTERN = re.compile("|".join(re.escape(k) for k, _ in _LATIN_RULES) + "|[aeiou]")
_LATIN_MAP = dict(_LATIN_RULES)
_DOUBLED = re.compile(r"([a-z])\1+")


def _transliterate(word: str) -> str:
    word = _DOUBLED.sub(r"\1", word)
    out = []
    for m in _LATIN_PATTERN.finditer(word):
        piece = m.group()
        if piece in _LATIN_MAP:
            out.append(_LATIN_MAP[piece])
        elif m.start() == 0:
            out.append("ا")  # Omar -> عمر, Ibrahim -> ابراهيم: the skeleton keeps the initial
        elif m.end() == len(word) and piece in "iu":
            out.append("ي" if piece == "i" else "و")  # Ali, Hadi; Abdu
    return "".join(out)


@lru_cache(maxsize=100_000)
def _latin_word(word: str) -> str:
    names = lexicon.latin_names()
    if word in names:
        return names[word]
    for prefix in ("albu", "al", "el"):
        rest = word[len(prefix) :]
        if word.startswith(prefix) and rest in names:
            return "ال" + names[rest] if prefix != "albu" else "البو" + names[rest]
    return _transliterate(word)


def latin_to_arabic_key(s: str | None) -> str:
    """The Arabic form of a Latin-script name: the lexicon's name, else a letter-rule spelling."""
    return " ".join(_latin_word(w) for w in normalize_text(s).split())


@lru_cache(maxsize=100_000)
def canonical_word(word: str) -> str:
    """The canonical Arabic form of one normalised word in either script (variants collapse)."""
    if is_latin(word):
        word = _latin_word(word)
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


@lru_cache(maxsize=100_000)
def _word_skeleton(word: str) -> str:
    s = _REPEATS.sub(r"\1", canonical_word(word).translate(_CLASSES))
    if not s:
        return ""
    head, tail = s[0], s[1:].replace("ا", "")
    if tail.endswith("ه") and len(head + tail) > 1:
        tail = tail[:-1]  # ta marbuta and final h: Fatima, فاطمة; Saleh, صالح
    return head + tail


@lru_cache(maxsize=200_000)
def skeleton(s: str | None) -> str:
    """A loose key equal for the Arabic and Latin spellings of one name (Mohammed = محمد)."""
    return skeleton_of_normalized(normalize_text(s)) or ""


def skeleton_of_normalized(text: str | None) -> str | None:
    """``skeleton`` of text already normalised (a NameChain part); ``None`` stays ``None``."""
    if not text:
        return None
    if " " not in text:
        return _word_skeleton(text)
    return " ".join(map(_word_skeleton, text.split()))


def canonical_of_normalized(text: str | None) -> str | None:
    """``canonical`` of text already normalised (a NameChain part); ``None`` stays ``None``."""
    if not text:
        return None
    if " " not in text:
        return canonical_word(text)
    return " ".join(map(canonical_word, text.split()))
