"""The Iraqi name chain: given name, father's, grandfather's, surname (laqab), and mother's name.

Agencies send the chain as separate columns or as one string; both arrive here as a ``NameChain``.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import NamedTuple

from . import lexicon
from .skeleton import canonical_of_normalized, latin_to_arabic_key, skeleton_of_normalized
from .text import is_latin, normalize_text

# Words that start with ال but are given names, not a laqab.
_AL_GIVEN_NAMES = frozenset({"الياس", "اليسع"})


class NameParts(NamedTuple):
    given: str | None
    father: str | None
    grandfather: str | None
    surname: str | None
    mother: str | None


class NameChain(NamedTuple):
    """One reading of a person's name chain, each part normalised (``None`` when absent).

    ``extra`` holds ancestors beyond the grandfather (a quadruple name); ``alternatives`` holds the
    other readings of an ambiguous chain (محمد علي as one given name or as given + father).
    Immutable and hashable; a named tuple because a registry builds millions of them.
    """

    given: str | None = None
    father: str | None = None
    grandfather: str | None = None
    surname: str | None = None
    mother: str | None = None
    extra: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    script: str = "arabic"
    alternatives: tuple[NameChain, ...] = ()

    @property
    def parts(self) -> NameParts:
        return NameParts(self.given, self.father, self.grandfather, self.surname, self.mother)

    @property
    def canonical(self) -> NameParts:
        """Each part with variants and nicknames collapsed, Latin parts in Arabic script."""
        return NameParts(*map(canonical_of_normalized, self.parts))

    @property
    def skeleton(self) -> NameParts:
        """Each part's cross-script skeleton: equal for محمد and Mohammed."""
        return NameParts(*map(skeleton_of_normalized, self.parts))

    @property
    def surname_key(self) -> str | None:
        """The surname without ال / آل / البو, in Arabic script: الجبوري, Al-Jubouri -> جبوري."""
        return surname_key(self.surname)

    def readings(self) -> tuple[NameChain, ...]:
        """This reading first, then the alternatives."""
        return (self, *self.alternatives)


def surname_key(surname: str | None) -> str | None:
    if not surname:
        return None
    key = latin_to_arabic_key(surname) if is_latin(surname) else normalize_text(surname)
    for prefix in ("البو", "ال"):
        if key.startswith(prefix) and len(key) > len(prefix) + 1:
            return key[len(prefix) :]
    return key


@lru_cache(maxsize=200_000)
def _words(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Normalised words of one field, titles taken out: before the first name word, and before any
    later name word (علي الحاج حسين). A title word left alone, or last, is a name (سيد, الشيخ)."""
    words = normalize_text(text).split()
    titles = lexicon.titles()
    if titles.isdisjoint(words):
        return tuple(words), ()
    last_name = max((i for i, w in enumerate(words) if w not in titles), default=-1)
    kept: list[str] = []
    taken: list[str] = []
    for i, w in enumerate(words):
        if w in titles and i < last_name and (not kept or len(w) > 1):
            taken.append(w)
        else:
            kept.append(w)
    return tuple(kept), tuple(taken)


def _is_laqab(word: str) -> bool:
    key = latin_to_arabic_key(word) if is_latin(word) else word
    return key.startswith("ال") and key not in _AL_GIVEN_NAMES and len(key) > 3


def _split_ambiguous(word: str) -> tuple[str, str] | None:
    """محمدعلي written as one word -> (محمد, علي)."""
    return _joined_ambiguous().get(word)


@cache
def _joined_ambiguous() -> dict[str, tuple[str, str]]:
    return {a + b: (a, b) for a, b in lexicon.ambiguous_compounds()}


def _chain_from_line(line: list[str], **rest) -> NameChain:
    """given, father, grandfather, then any further ancestors, from a list of words ("" = absent)."""
    padded = [*(w or None for w in line), None, None, None]
    return NameChain(
        given=padded[0], father=padded[1], grandfather=padded[2], extra=tuple(w for w in line[3:] if w), **rest
    )


def _with_readings(line: list[str], prefer_joined: bool, **rest) -> NameChain:
    """Build the chain, adding the other reading when the first two words are محمد علي-like."""
    if len(line) >= 2 and (line[0], line[1]) in lexicon.ambiguous_compounds():
        split, joined = line, [line[0] + line[1], *line[2:]]
    elif line and (pair := _split_ambiguous(line[0])):
        split, joined = [*pair, *line[1:]], line
    else:
        return _chain_from_line(line, **rest)
    first, second = (joined, split) if prefer_joined else (split, joined)
    alternative = _chain_from_line(second, **rest)
    return _chain_from_line(first, **rest, alternatives=(alternative,))


class _Field(NamedTuple):
    text: str | None  # the normalised words joined by a space; None when empty
    words: tuple[str, ...]
    titles: tuple[str, ...]
    latin: bool


@lru_cache(maxsize=200_000)
def _field(raw: str | None) -> _Field:
    words, titles = _words(raw)
    return _Field(" ".join(words) or None, words, titles, bool(raw) and is_latin(raw))


def parse_name(
    full_name: str | None = None,
    *,
    given: str | None = None,
    father: str | None = None,
    grandfather: str | None = None,
    surname: str | None = None,
    mother: str | None = None,
) -> NameChain:
    """Parse a name chain from one full-name string or from separate parts (agencies send both).

    When ``given`` is present the parts win and ``full_name`` is ignored; titles (الحاج, د.,
    المرحوم...) are kept apart in ``titles``.
    """
    m, s = _field(mother), _field(surname)
    if full_name and not given:
        whole = _field(full_name)
        words = list(whole.words)
        laqab = words.pop() if len(words) >= 2 and _is_laqab(words[-1]) else None
        # A quadruple name of five or more words reads محمد علي as one given name.
        return _with_readings(
            words,
            prefer_joined=len(words) >= 5,
            surname=s.text or laqab,
            mother=m.text,
            titles=whole.titles + s.titles + m.titles,
            script="latin" if whole.latin or s.latin else "arabic",
        )

    g, f, gf = _field(given), _field(father), _field(grandfather)
    titles = g.titles + f.titles + gf.titles + s.titles + m.titles
    script = "latin" if g.latin or f.latin or s.latin else "arabic"
    # A given-name column holding محمد علي says it is one name; the split reading stays available.
    pair = g.words if len(g.words) == 2 and g.words in lexicon.ambiguous_compounds() else None
    if pair is None and len(g.words) == 1:
        pair = _split_ambiguous(g.words[0])
    if pair is None:
        return NameChain(g.text, f.text, gf.text, s.text, m.text, (), titles, script)
    rest = dict(surname=s.text, mother=m.text, titles=titles, script=script)
    line = [g.text, f.text, gf.text]
    alternative = _chain_from_line([*pair, *line[1:]], **rest)
    return _chain_from_line([pair[0] + pair[1], *line[1:]], **rest, alternatives=(alternative,))
