"""The rasm of a name: its letters without their dots, as a scanner or a tired eye may read them.

Arabic letters that differ only by their dots (ب ت ث ن ي, ج ح خ, د ذ, ر ز, س ش, ص ض, ط ظ, ع غ, ف ق) are
the commonest misreading of a scanned or handwritten register. Two spellings with one rasm are one name
read twice, not two names: a sister is not called حسن when her brother is حسن, but a scanner turns زينب
into رينب. The skeleton keeps these letters apart (it collapses sounds, not shapes), so the rasm is its
own key.
"""

from __future__ import annotations

from functools import lru_cache

from .skeleton import canonical

_SHAPES = str.maketrans({
    "ت": "ب", "ث": "ب", "ن": "ب", "ي": "ب",
    "ج": "ح", "خ": "ح",
    "ذ": "د",
    "ز": "ر",
    "ش": "س",
    "ض": "ص",
    "ظ": "ط",
    "غ": "ع",
    "ق": "ف",
})


@lru_cache(maxsize=200_000)
def rasm(s: str | None) -> str:
    """The dotless letters of a name's canonical Arabic form (a Latin name is read in Arabic first)."""
    text = canonical(s)
    return text.translate(_SHAPES) if text else ""
