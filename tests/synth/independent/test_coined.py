"""Coined names: made on Iraqi name patterns, in no list, the same for one seed, spelt by every convention."""

from __future__ import annotations

import random
import re

import pytest

from sijill.synth.independent.coined import coin, with_coined_names
from sijill.synth.independent.data import knowledge
from sijill.synth.independent.records import Name, latin_spelling
from sijill.synth.independent.romanise import CONVENTIONS

K = knowledge()
PATTERNS = {"M": ["12ي3", "12ا3", "1ا23", "123ان", "م12و3", "12و3"], "F": ["123ة", "12ي3ة", "1ا23ة"]}


def _shape(pattern: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"[123]", "[بتثجحخدذرزسشصضطظعغفقكلمنه]", pattern))


@pytest.mark.parametrize("sex", ["M", "F"])
def test_a_coined_name_has_the_shape_of_a_pattern_and_is_spelt_by_every_convention(sex):
    names = coin(sex, 200, random.Random(3))
    assert len({a for a, _ in names}) == 200
    for arabic, latin in names:
        assert any(_shape(p).fullmatch(arabic) for p in PATTERNS[sex]), arabic
        for convention in CONVENTIONS:
            assert latin_spelling(Name(arabic, latin, ""), convention, random.Random(1))


def test_coined_names_are_in_no_list_and_the_same_for_one_seed():
    known = set(K.male.arabic) | set(K.female.arabic) | set(K.surnames.arabic)
    one, again, other = (with_coined_names(K, s) for s in (1001, 1001, 1002))
    added = one.male.arabic[len(K.male.arabic):] + one.female.arabic[len(K.female.arabic):]
    assert len(added) == 240 and not set(added) & known
    assert one.male.arabic == again.male.arabic and one.male.arabic != other.male.arabic
    assert all(g == frozenset({"arab"}) for g in one.male.groups[len(K.male.arabic):])
