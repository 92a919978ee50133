"""The signature drawn on a phone form: a PNG data URL or nothing; anything else is refused with its reason."""

from __future__ import annotations

import pytest
from django.utils import translation

from sijill.common.signature import MAX_LENGTH, drawn_signature

PNG = "data:image/png;base64,iVBORw0KGgo="


class Refused(Exception):
    pass


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""),  # nothing drawn: the form says whether a signature is required
    ("", ""),
    (PNG, PNG),
])
def test_a_drawn_signature_or_none_is_kept(value, expected):
    assert drawn_signature(value, Refused) == expected


@pytest.mark.parametrize(("value", "reason"), [
    ("data:image/jpeg;base64,/9j/4AAQ", "must be drawn"),  # a photo, not a drawing
    ("<svg onload=alert(1)>", "must be drawn"),
    (PNG + "A" * MAX_LENGTH, "too large"),
])
def test_anything_else_is_refused_with_its_reason(value, reason):
    with translation.override("en"), pytest.raises(Refused, match=reason):
        drawn_signature(value, Refused)
