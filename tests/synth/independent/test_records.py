"""A holder's habits, one at a time, on people of a small population: each profile key does what it says."""

from __future__ import annotations

import datetime as dt
import random
import re

import numpy as np
import pytest

from sijill.synth.independent.data import knowledge
from sijill.synth.independent.families import build_population
from sijill.synth.independent.records import Writer

K = knowledge()
POP = build_population(3000, np.random.default_rng(5), K)


def _writer(profile: dict, seed: int = 1) -> Writer:
    return Writer(profile, K, POP, random.Random(seed))


def _given(person: int) -> str:
    return (K.male if POP.sex[person] == "M" else K.female).arabic[POP.given[person]]


def test_a_holder_that_copies_the_card_copies_its_slip_and_the_registry_does_not():
    assert POP.card_names
    for person, (part, spelling) in list(POP.card_names.items())[:50]:
        copied = _writer({"copies_card": True}).write(person)
        asked = _writer({}).write(person)
        assert [copied.given, copied.father, copied.grandfather][part] == spelling
        assert [asked.given, asked.father, asked.grandfather][part] != spelling


def test_a_clean_profile_writes_the_name_list_and_the_civil_record():
    for person in range(0, 3000, 97):
        w = _writer({}).write(person)
        assert w.given == _given(person) or person in POP.card_names
        assert w.father == K.male.arabic[POP.father_name[person]]
        assert w.birth_date == dt.date.fromordinal(int(POP.registered_birth[person])).isoformat()
        assert w.national_id == POP.national_id[person]


def test_the_names_and_birth_date_profile_leaves_the_id_and_the_mother_empty():
    for person in range(0, 3000, 31):
        w = _writer({"empty": ["national_id", "mother_name"]}).write(person)
        assert w.national_id == "" and w.mother == "" and w.given and w.birth_date


@pytest.mark.parametrize(("habit", "check"), [
    ("drop_grandfather", lambda w: w.grandfather == ""),
    ("drop_surname", lambda w: w.surname == ""),
    ("mother_missing", lambda w: w.mother == ""),
    ("mother_given_only", lambda w: " " not in w.mother or w.mother in K.female.arabic),
])
def test_a_habit_at_rate_one_always_shows(habit, check):
    writer = _writer({"names": {habit: 1.0}})
    assert all(check(writer.write(p)) for p in range(0, 3000, 29))


def test_typing_quirks_leave_the_letters_as_they_were():
    writer = _writer({"names": {"vowel_mark": 1.0, "tatweel": 1.0, "spaces": 1.0}})
    for p in range(0, 3000, 37):
        w = writer.write(p)
        typed = " ".join([w.given, w.father, w.grandfather, w.surname, w.mother])
        clean = _writer({}).write(p)
        letters = lambda s: "".join(ch for ch in s if ch not in "\u064e\u064f\u0650ـ ")  # noqa: E731
        assert letters(typed) == letters(" ".join([clean.given, clean.father, clean.grandfather, clean.surname,
                                                  clean.mother]))
        assert typed != " ".join([clean.given, clean.father, clean.grandfather, clean.surname, clean.mother])


def test_sex_and_birth_date_left_empty_or_sex_ticked_wrong():
    empty = _writer({"sex_slips": {"missing": 1.0}, "dates": {"missing": 1.0}})
    wrong = _writer({"sex_slips": {"wrong": 1.0}})
    for p in range(0, 3000, 53):
        assert empty.write(p).sex == "" and empty.write(p).birth_date == ""
        assert wrong.write(p).sex == ("أنثى" if POP.sex[p] == "M" else "ذكر")


def test_a_compound_given_name_is_cut_into_the_chain():
    compound = [p for p in range(len(POP)) if POP.sex[p] == "M" and K.male.arabic[POP.given[p]] == "محمد علي"]
    assert compound
    for p in compound:
        w = _writer({"names": {"compound_shift": 1.0}}).write(p)
        assert (w.given, w.father, w.grandfather) == ("محمد", "علي", K.male.arabic[POP.father_name[p]])


def test_ids_are_mistyped_or_transposed_but_keep_twelve_digits():
    typo, swap = _writer({"ids": {"typo": 1.0}}), _writer({"ids": {"transpose": 1.0}})
    people = [p for p in range(3000) if POP.national_id[p]][:100]
    for p in people:
        true = POP.national_id[p]
        one, two = typo.write(p).national_id, swap.write(p).national_id
        assert len(one) == len(two) == 12 and one != true and two != true
        assert sum(a != b for a, b in zip(one, true, strict=True)) == 1
        assert sorted(two) == sorted(true) and sum(a != b for a, b in zip(two, true, strict=True)) == 2


@pytest.mark.parametrize(("habit", "pattern"), [
    ("year_only", r"\d{4}"),
    ("default", r"\d{4}-(07|01)-01"),
])
def test_a_birth_date_known_by_its_year_only(habit, pattern):
    writer = _writer({"dates": {habit: 1.0}})
    assert all(re.fullmatch(pattern, writer.write(p).birth_date) for p in range(0, 3000, 41))


def test_a_latin_row_has_no_arabic_letter():
    writer = _writer({"script": {"latin": 1.0, "conventions": {"bank": 1}}, "sex": "latin"})
    for p in range(0, 3000, 13):
        w = writer.write(p, writer.convention())
        assert not any("\u0600" <= ch <= "\u06ff" for ch in w.full_name + w.mother + w.governorate)
