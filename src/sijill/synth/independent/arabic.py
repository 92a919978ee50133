"""What happens to an Arabic name between a form and a file: dots lost by a scanner, a slip on the keyboard,
hamza seats written plainly, ة/ه and ى/ي at the end, Persian letters typed as Arabic, عبد الله joined or split.
The letters are data/letters.yaml."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import yaml


@dataclass(frozen=True)
class Letters:
    ocr: dict[str, tuple[str, ...]]  # letter -> the letters with its skeleton
    keyboard: dict[str, tuple[str, ...]]  # letter -> its neighbours on the row
    hamza: dict[str, tuple[str, ...]]
    persian: dict[str, str]


@lru_cache(maxsize=1)
def letters() -> Letters:
    with (files(__package__) / "data" / "letters.yaml").open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    ocr = {a: tuple(b for b in group if b != a) for group in raw["ocr"] for a in group}
    keyboard: dict[str, tuple[str, ...]] = {}
    for row in raw["keyboard"]:
        for i, key in enumerate(row):
            keyboard[key] = tuple(row[j] for j in (i - 1, i + 1) if 0 <= j < len(row))
    return Letters(ocr, keyboard, {k: tuple(v) for k, v in raw["hamza"].items()}, raw["persian"])


def ocr_dots(name: str, rng: random.Random) -> str:
    """One letter read as another of the same skeleton (ب for ت, ح for خ, ه for ة...)."""
    table = letters().ocr
    spots = [i for i, ch in enumerate(name) if ch in table]
    if not spots:
        return name
    i = rng.choice(spots)
    return name[:i] + rng.choice(table[name[i]]) + name[i + 1 :]


def keyboard_slip(name: str, rng: random.Random) -> str:
    """The key beside the one meant, a letter typed twice, or one left out."""
    table = letters().keyboard
    spots = [i for i, ch in enumerate(name) if ch in table]
    if not spots:
        return name
    i = rng.choice(spots)
    roll = rng.random()
    if roll < 0.6:
        return name[:i] + rng.choice(table[name[i]]) + name[i + 1 :]
    if roll < 0.8:
        return name[: i + 1] + name[i:]
    return name[:i] + name[i + 1 :] if len(name.replace(" ", "")) > 2 else name


def hamza(name: str, rng: random.Random) -> str:
    """Hamza seats written as a plain alif, waw or yaa (أحمد -> احمد), or an initial alif given one (اسماء ->
    أسماء), never the article's."""
    table = letters().hamza
    out = []
    for i, ch in enumerate(name):
        word_start = (i == 0 or name[i - 1] == " ") and not name.startswith("ال", i)
        if ch in table and (ch != "ا" or word_start) and rng.random() < (0.9 if ch != "ا" else 0.3):
            out.append(rng.choice(table[ch]))
        else:
            out.append(ch)
    return "".join(out)


_ENDINGS = {"ة": "ه", "ه": "ة", "ى": "ي", "ي": "ى"}


def final_letter(name: str, rng: random.Random) -> str:
    """ة written ه (or the reverse), ى written ي (or the reverse), at the end of a word."""
    words = name.split(" ")
    spots = [j for j, w in enumerate(words) if w and w[-1] in _ENDINGS]
    if not spots:
        return name
    j = rng.choice(spots)
    words[j] = words[j][:-1] + _ENDINGS[words[j][-1]]
    return " ".join(words)


def persian_letters(name: str) -> str:
    """پ چ گ ژ ڤ typed with the Arabic letters nearest them."""
    table = letters().persian
    return "".join(table.get(ch, ch) for ch in name)


def join_compound(name: str) -> str:
    """عبد الله -> عبدالله, أبو بكر -> أبوبكر (the space of a compound left out)."""
    for head in ("عبد ", "ابو ", "أبو "):
        name = name.replace(head, head.strip())
    return name


def split_compound(name: str) -> str:
    """عبدالله -> عبد الله, and the reverse mistake: a name that begins like عبد cut after it."""
    if name.startswith("عبد") and not name.startswith("عبد ") and len(name) > 3:
        return "عبد " + name[3:]
    return name


_MARKS = ("\u064e", "\u064f", "\u0650")  # fatha, damma, kasra
_NON_JOINING = frozenset("اأإآدذرزوؤءةى ")


def vowel_mark(name: str, rng: random.Random) -> str:
    """A short-vowel mark typed on a word's first letter to show how it is said (خُضير, عُدي)."""
    words = name.split(" ")
    j = rng.randrange(len(words))
    if words[j]:
        words[j] = words[j][0] + rng.choice(_MARKS) + words[j][1:]
    return " ".join(words)


def tatweel(name: str, rng: random.Random) -> str:
    """A kashida (ـ) stretching a word between two joined letters (محمـد), as some typists do for looks."""
    spots = [i for i in range(1, len(name)) if name[i - 1] not in _NON_JOINING and name[i] != " "]
    if not spots:
        return name
    i = rng.choice(spots)
    return name[:i] + "ـ" + name[i:]


def stray_spaces(name: str, rng: random.Random) -> str:
    """A space doubled between two names or left at the end of the cell."""
    if " " in name and rng.random() < 0.5:
        i = rng.choice([k for k, ch in enumerate(name) if ch == " "])
        return name[:i] + " " + name[i:]
    return name + " "
