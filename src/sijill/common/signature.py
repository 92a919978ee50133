"""The head's signature drawn on a phone form (the visit, the survey interview): a PNG data URL, checked once."""

from __future__ import annotations

from django.utils.translation import gettext

MAX_LENGTH = 500_000


def drawn_signature(value, refused: type[Exception]) -> str:
    """``value`` as a drawn signature (empty when none was drawn), else ``refused`` with the reason."""
    text = str(value or "")
    if text and not text.startswith("data:image/png;base64,"):
        raise refused(gettext("The signature must be drawn on the form."))
    if len(text) > MAX_LENGTH:
        raise refused(gettext("The signature is too large."))
    return text
