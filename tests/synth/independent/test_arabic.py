"""The Arabic slips: a scanner's dot changes stay within a skeleton, a keyboard slip is one edit, hamza and
final-letter habits touch only their letters."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.synth.independent import arabic
from sijill.synth.independent.data import knowledge

K = knowledge()
NAMES = sorted(set(K.male.arabic) | set(K.female.arabic) | set(K.surnames.arabic))
SEEDS = st.integers(0, 2**32)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), SEEDS)
def test_a_scanner_changes_one_letter_for_one_of_its_skeleton(name, seed):
    read = arabic.ocr_dots(name, random.Random(seed))
    changed = [(a, b) for a, b in zip(name, read, strict=True) if a != b]
    assert len(changed) <= 1
    for a, b in changed:
        assert b in arabic.letters().ocr[a]


def _edits(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), SEEDS)
def test_a_keyboard_slip_is_one_edit(name, seed):
    assert _edits(name, arabic.keyboard_slip(name, random.Random(seed))) <= 1


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), SEEDS)
def test_hamza_habits_touch_only_hamza_seats_and_initial_alifs(name, seed):
    written = arabic.hamza(name, random.Random(seed))
    plain = {"أ": "ا", "إ": "ا", "آ": "ا", "ؤ": "و", "ئ": "ي"}
    fold = lambda s: "".join(plain.get(c, c) for c in s).replace("ىء", "ي")  # noqa: E731
    assert fold(written) == fold(name)
    assert not any(w.startswith(("أل", "إل")) for w in written.split()) or any(
        w.startswith(("أل", "إل")) for w in name.split())


@pytest.mark.parametrize(("name", "joined", "split"), [
    ("عبد الله", "عبدالله", "عبد الله"),
    ("عبد الحسين", "عبدالحسين", "عبد الحسين"),
    ("أبو بكر", "أبوبكر", "أبو بكر"),
    ("عبدالله", "عبدالله", "عبد الله"),
    ("محمد علي", "محمد علي", "محمد علي"),
    ("عبد", "عبد", "عبد"),
])
def test_compounds_joined_and_split(name, joined, split):
    assert arabic.join_compound(name) == joined
    assert arabic.split_compound(name) == split


@pytest.mark.parametrize(("name", "typed"), [
    ("پشتيوان", "بشتيوان"), ("چاسب", "جاسب"), ("كولشن", "كولشن"), ("ژيان", "زيان"), ("هه‌ڤال", "هه‌فال"),
])
def test_persian_letters_typed_on_an_arabic_keyboard(name, typed):
    assert arabic.persian_letters(name) == typed


@pytest.mark.parametrize(("name", "written"), [
    ("فاطمة", "فاطمه"), ("مصطفى", "مصطفي"), ("علي", "على"), ("طه", "طة"),
])
def test_the_final_letter_habit(name, written):
    assert arabic.final_letter(name, random.Random(0)) == written
