"""Families: the Iraqi name chain agrees across generations, and the population looks like Iraq's."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.synth.config import Demography
from sijill.synth.population import build_population, governorate_weights
from sijill.synth.timeline import day

TODAY = day(dt.date(2025, 6, 30))


def _by_id(persons):
    return {p["person_id"]: p for p in persons}


def test_child_name_chain_follows_father_and_mother(world):
    people = _by_id(world["persons"])
    children = [p for p in people.values() if p["father_id"] is not None]
    assert len(children) > len(people) / 3
    for child in children:
        father, mother = people[child["father_id"]], people[child["mother_id"]]
        assert child["father"] == father["given"]
        assert child["grandfather"] == father["father"]
        assert child["surname"] == father["surname"]
        assert (child["mother_given"], child["mother_father"]) == (mother["given"], mother["father"])


def test_three_generations_chain_from_grandchild_to_grandfather(world):
    people = _by_id(world["persons"])
    grandchildren = [
        p for p in people.values() if p["father_id"] is not None and people[p["father_id"]]["father_id"] is not None
    ]
    assert grandchildren
    for g in grandchildren:
        grandfather = people[people[g["father_id"]]["father_id"]]
        assert g["grandfather"] == grandfather["given"]


def test_siblings_share_the_chain_but_not_the_given_name(world):
    families: dict[int, list[dict]] = {}
    for p in world["persons"]:
        if p["father_id"] is not None:
            families.setdefault(p["father_id"], []).append(p)
    clashes = 0
    for kids in families.values():
        assert len({(k["father"], k["grandfather"], k["surname"], k["mother_given"]) for k in kids}) == 1
        names = Counter(k["given"] for k in kids)
        clashes += sum(c - 1 for c in names.values())
    assert clashes <= 0.01 * sum(len(k) for k in families.values())


def test_some_boys_carry_their_grandfathers_name_and_twins_exist(world):
    persons = world["persons"]
    named = [p for p in persons if p["father_id"] is not None and p["sex"] == "M" and p["given"] == p["grandfather"]]
    assert named
    births = Counter((p["mother_id"], p["birth_date"]) for p in persons if p["mother_id"] is not None)
    assert any(n >= 2 for n in births.values())


def test_national_ids_are_unique_twelve_digits_and_missing_more_for_the_old(world):
    ids = [p["national_id"] for p in world["persons"] if p["national_id"]]
    assert len(ids) == len(set(ids))
    assert all(len(i) == 12 and i.isdigit() and i[0] != "0" for i in ids)
    alive = [p for p in world["persons"] if p["death_date"] is None]
    old = [p for p in alive if p["birth_date"].year < 1950]
    young = [p for p in alive if 1970 <= p["birth_date"].year < 2005]
    missing = lambda group: sum(p["national_id"] is None for p in group) / len(group)  # noqa: E731
    assert missing(old) > missing(young)


def test_older_people_often_carry_the_registration_default_birthday(world):
    def share(group):
        return sum((p["birth_date"].month, p["birth_date"].day) in ((7, 1), (1, 1)) for p in group) / len(group)

    old = [p for p in world["persons"] if p["birth_date"].year < 1965]
    young = [p for p in world["persons"] if p["birth_date"].year >= 2000]
    assert share(old) > 0.3 > 0.1 > share(young)


def test_age_structure_is_young_as_in_iraq(world):
    alive = [p for p in world["persons"] if p["death_date"] is None]
    ages = np.array([2025 - p["birth_date"].year for p in alive])
    assert 0.25 < (ages < 15).mean() < 0.45
    assert (ages >= 65).mean() < 0.08
    assert 18 <= np.median(ages) <= 32


def test_governorate_shares_follow_the_2018_population():
    pop = build_population(np.random.default_rng(3), 30_000, TODAY, Demography())
    alive = pop.death == np.iinfo(np.int32).max
    shares = np.bincount(pop.gov[alive], minlength=len(governorate_weights())) / alive.sum()
    assert np.abs(shares - governorate_weights()).max() < 0.03
    assert shares.argmax() == 0  # Baghdad


@settings(max_examples=8, deadline=None)
@given(persons=st.integers(min_value=50, max_value=1500), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_size_and_seed_gives_exactly_that_many_people_with_consistent_links(persons, seed):
    pop = build_population(np.random.default_rng(seed), persons, TODAY, Demography())
    assert len(pop) == persons
    has_father = pop.father_pid >= 0
    assert (pop.father_name[has_father] == pop.given[pop.father_pid[has_father]]).all()
    assert (pop.birth[has_father] > pop.birth[pop.father_pid[has_father]]).all()
    c = pop.couples
    assert (pop.sex[c["husband"]] == 0).all() and (pop.sex[c["wife"]] == 1).all()
    assert (pop.father_pid[c["husband"]] != pop.father_pid[c["wife"]])[pop.father_pid[c["husband"]] >= 0].all()
