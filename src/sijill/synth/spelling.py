"""How one name can be written otherwise: orthographic variants, dot confusions, keyboard slips, nicknames
and Latin spellings. Each function lists every alternative of one string; ``Surfaces`` applies them to
whole columns of name ids at once (the alternatives of a name are computed once, not once per row).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy as np
import pyarrow as pa

from sijill.identity import lexicon, normalize_text

from . import catalog

_NON_JOINING = set("اأإآدذرزوؤةءى ")


@cache
def _dot_groups() -> dict[str, str]:
    out = {}
    for line in catalog.lines("dots.txt"):
        letters = line.split()
        for ch in letters:
            out[ch] = "".join(x for x in letters if x != ch)
    return out


@cache
def _keyboard_neighbours() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in catalog.lines("keyboard.txt"):
        keys = line.split()
        for i, ch in enumerate(keys):
            near = [keys[j] for j in (i - 1, i + 1) if 0 <= j < len(keys) and len(keys[j]) == 1]
            out[ch] = out.get(ch, "") + "".join(near)
    return out


def spelling_variants(name: str) -> list[str]:
    """Orthographic variants a clerk writes: hamza and alef forms, ة/ه, ى/ي, tatweel, harakat, a dropped
    medial alef, عبد joined or apart."""
    out = []
    if re.search("[أإآ]", name):
        out.append(re.sub("[أإآ]", "ا", name))
    elif name.startswith("ا") and not name.startswith("ال"):
        out.append("أ" + name[1:])
    if name.endswith("ة"):
        out.append(name[:-1] + "ه")
    elif name.endswith("ه") and len(name) > 3:
        out.append(name[:-1] + "ة")
    if name.endswith("ى"):
        out.append(name[:-1] + "ي")
    elif name.endswith("ي") and len(name) > 3:
        out.append(name[:-1] + "ى")
    if name.startswith("عبد "):
        out.append("عبد" + name[4:])
    if len(name) > 2 and name[1] not in _NON_JOINING and name[2] != " ":
        out.append(name[:2] + "ـ" + name[2:])  # tatweel: زينـب
    out.append(name[0] + "\u064f" + name[1:])  # a damma, as in مُحمد
    medial = [i for i, ch in enumerate(name) if ch == "ا" and 1 < i < len(name) - 1 and name[i - 1] != "ل"]
    if medial:
        i = medial[0]
        out.append(name[:i] + name[i + 1 :])
    return _distinct(name, out)


def dot_variants(name: str) -> list[str]:
    groups = _dot_groups()
    out = [name[:i] + other + name[i + 1 :] for i, ch in enumerate(name) for other in groups.get(ch, "")]
    return _distinct(name, out)


def keyboard_variants(name: str) -> list[str]:
    near = _keyboard_neighbours()
    out = [name[:i] + other + name[i + 1 :] for i, ch in enumerate(name) for other in near.get(ch, "")]
    out += [
        name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        for i in range(len(name) - 1)
        if " " not in name[i : i + 2] and name[i] != name[i + 1]
    ]
    return _distinct(name, out)


def _distinct(name: str, variants: list[str]) -> list[str]:
    seen, out = {name}, []
    for v in variants:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


class Surfaces:
    """A growing vocabulary of written forms; ``apply`` replaces ids by one of their alternatives."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = list(strings)
        self._index = {s: i for i, s in enumerate(self.strings)}
        self._alternatives: dict[str, dict[int, list[int]]] = {}
        self._array: pa.Array | None = None

    def id(self, s: str) -> int:
        found = self._index.get(s)
        if found is None:
            found = self._index[s] = len(self.strings)
            self.strings.append(s)
        return found

    def alternatives(self, kind: str, variants: Callable[[str], list[str]], name_id: int) -> list[int]:
        """The ids of the alternatives of one id, computed once per kind."""
        known = self._alternatives.setdefault(kind, {})
        found = known.get(name_id)
        if found is None:
            found = known[name_id] = [self.id(v) for v in variants(self.strings[name_id])]
        return found

    def apply(
        self,
        ids: np.ndarray,
        mask: np.ndarray,
        kind: str,
        variants: Callable[[str], list[str]],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """``ids`` with the masked, present (>= 0) ones replaced by a random alternative of theirs.
        Alternatives are looked up for the distinct ids only, then gathered for all rows at once."""
        u = rng.random(len(ids))
        sel = np.flatnonzero(mask & (ids >= 0))
        if len(sel) == 0:
            return ids
        distinct, where = np.unique(ids[sel], return_inverse=True)
        lists = [self.alternatives(kind, variants, int(i)) for i in distinct]
        counts = np.array([len(x) for x in lists], dtype=np.int64)
        offsets = np.cumsum(counts) - counts
        flat = np.array([i for x in lists for i in x] or [0], dtype=np.int32)
        has = counts[where] > 0
        sel, where = sel[has], where[has]
        out = ids.copy()
        out[sel] = flat[offsets[where] + (u[sel] * counts[where]).astype(np.int64)]
        return out

    def array(self) -> pa.Array:
        """All written forms as one pyarrow array (cached until the vocabulary grows)."""
        if self._array is None or len(self._array) != len(self.strings):
            self._array = pa.array(self.strings or [""], pa.string())
        return self._array


# -- Latin script ---------------------------------------------------------------------------------------

_TO_LATIN = {
    "ا": "a",
    "أ": "a",
    "إ": "i",
    "آ": "a",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "dh",
    "ط": "t",
    "ظ": "dh",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "a",
    "ى": "a",
    "ء": "",
    "ئ": "",
    "ؤ": "",
    "گ": "g",
    "چ": "ch",
    "پ": "p",
    "ژ": "zh",
}
_SECOND = {"q": "g", "dh": "th", "j": "j", "kh": "kh"}


def _fallback_word(word: str, second: bool) -> str:
    """A plain letter transliteration for names the Latin lexicon lacks: Arabic writes no short vowels,
    so one is put between consonants (محمد -> Mahamad); و and ي between consonants are long vowels."""
    out: list[str] = []
    prev_consonant = False
    for i, ch in enumerate(word):
        last = i == len(word) - 1
        if ch in "وي" and i > 0:
            vowel = ("ou" if second else "u") if ch == "و" else ("ee" if second else "i")
            out.append(vowel)
            prev_consonant = False
            continue
        if ch in "اأآإةى":
            out.append(_TO_LATIN[ch] if not (out and out[-1] in ("a", "i")) else "")
            prev_consonant = False
            continue
        if ch in "وي":  # word-initial
            out.append("w" if ch == "و" else "y")
            prev_consonant = True
            continue
        latin = _TO_LATIN.get(ch, "")
        if second:
            latin = _SECOND.get(latin, latin)
        if ch == "ع":
            if i == 0:
                out.append("a" if not second else "e")
            prev_consonant = False
            continue
        if prev_consonant and latin:
            out.append("a" if not second else "e")
        out.append(latin)
        prev_consonant = bool(latin) and not last
    return "".join(out)


@cache
def _latin_inverse() -> dict[str, list[str]]:
    """Normalised Arabic name -> its Latin spellings, from sijill.identity's Latin lexicon."""
    inverse: dict[str, list[str]] = {}
    for latin, arabic in lexicon.latin_names().items():  # file order: the usual spellings first
        if latin.isascii():
            inverse.setdefault(arabic, []).append(latin)
    return inverse


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _latin_form(latin: str, arabic: str) -> str:
    if arabic.startswith("ال") and latin.startswith("al") and len(latin) > 4:
        return "Al-" + _cap(latin[2:])
    return _cap(latin)


def latin_spellings(name: str) -> list[str]:
    """Latin spellings of an Arabic name: those of the Latin lexicon when it has the name (up to four),
    else two letter-rule transliterations. A laqab keeps its article as Al-."""
    inverse = _latin_inverse()
    key = normalize_text(name)
    if key in inverse:
        return [_latin_form(s, key) for s in inverse[key][:4]]
    article = key.startswith("ال") and len(key) > 3
    if article and key[2:] in inverse:
        return ["Al-" + _cap(s) for s in inverse[key[2:]][:3]]
    words = name.replace("آل ", "ال").split()
    forms = []
    for second in (False, True):
        parts = []
        for w in words:
            if w.startswith("ال") and len(w) > 3:
                parts.append(("Al-" if not second else "Al ") + _cap(_fallback_word(w[2:], second)))
            else:
                parts.append(_cap(_fallback_word(w, second)))
        forms.append(" ".join(parts))
    return list(dict.fromkeys(forms))
