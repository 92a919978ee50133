"""The unified national number (البطاقة الوطنية الموحدة): 12 digits."""

from __future__ import annotations

import re

from .errors import InvalidIdentifier
from .text import to_ascii_digits

_SEPARATORS = re.compile(r"[\s\-_./\u00a0\u200c\u200d\u200e\u200f\u061c\ufeff]+")
_TWELVE_DIGITS = re.compile(r"[0-9]{12}", re.ASCII)


def national_id(s: str | int | None) -> str:
    """Return the 12-digit national number as ASCII digits, or raise ``InvalidIdentifier``.

    Accepts Arabic-Indic and Persian digits, spaces and dashes; refuses anything else.
    """
    if isinstance(s, str):
        clean = to_ascii_digits(s)
        if len(clean) == 12 and clean.isascii() and clean.isdigit() and len(set(clean)) > 1:
            return clean  # the common case: twelve digits in some script, nothing else
    if s is None or (isinstance(s, str) and not s.strip()):
        raise InvalidIdentifier(s, "national ID is empty")
    if isinstance(s, float | bool):
        raise InvalidIdentifier(s, "national ID must be text, not a number that may have lost digits")
    text = _SEPARATORS.sub("", to_ascii_digits(str(s)))
    if not text.isascii() or not text.isdigit():
        raise InvalidIdentifier(s, "national ID may contain only digits, spaces and dashes")
    if not _TWELVE_DIGITS.fullmatch(text):
        raise InvalidIdentifier(s, f"national ID must have 12 digits, not {len(text)}")
    if len(set(text)) == 1:
        raise InvalidIdentifier(s, "national ID is a placeholder (one digit repeated)")
    return text
