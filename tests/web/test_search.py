"""Search-first: a national ID, or a name and one more field; spellings meet through sijill.identity."""

from __future__ import annotations

import pytest
from conftest import DATA, make_user

from sijill.registry.importing.service import import_file
from sijill.registry.search import SearchQuery, search

pytestmark = pytest.mark.django_db(databases="__all__")

# query -> the record numbers found (the fixture registry: tests/web/data/members.csv)
CASES = [
    ({"national_id": "198503021234"}, ["REG-1"]),
    ({"national_id": "199007154321"}, ["REG-2"]),  # written in Arabic-Indic digits in the file
    ({"name": "محمد علي حسين", "birth_year": 1985}, ["REG-1"]),
    ({"name": "مُحمّد علي", "governorate": "بغداد"}, ["REG-1"]),  # harakat typed
    ({"name": "احمد عبد الكريم", "governorate": "البصرة"}, ["REG-5"]),  # عبد الكريم = عبدالكريم
    ({"name": "أحمد عبدالكريم جاسم الساعدي", "mother": "سعاد"}, ["REG-5"]),  # surname and mother's given name
    ({"name": "فاطمة محمد", "governorate": "بغداد"}, ["REG-4"]),  # ة typed, ه in the record
    ({"name": "Mohammed Ali", "governorate": "بغداد"}, ["REG-1"]),  # Latin spelling
    ({"name": "حسن محمد", "mother": "زينب"}, ["REG-3"]),
    ({"name": "حسن محمد", "mother": "خديجة"}, []),
    ({"name": "زينب", "governorate": "بغداد"}, ["REG-2"]),
    ({"name": "محمد", "governorate": "البصرة"}, []),
]


@pytest.fixture
def registry(backend):
    import_file(DATA / "members.csv", "members")
    return backend


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[str(q) for q, _ in CASES])
def test_search_finds(registry, query, expected):
    analyst = make_user("analyst")
    result = search(SearchQuery(**query), analyst, limit=100)
    assert [p.record_id for p in result.people] == expected


def test_a_close_spelling_is_found_on_skeletons(registry):
    analyst = make_user("analyst")
    result = search(SearchQuery(name="حسين احمد عبدالكريم", governorate="البصرة"), analyst, limit=100)
    assert [p.record_id for p in result.people] == ["REG-6"] and not result.approximate
    result = search(SearchQuery(name="هسين احمد", governorate="البصرة"), analyst, limit=100)  # ح typed as ه
    assert [p.record_id for p in result.people] == ["REG-6"] and result.approximate


def test_a_name_alone_or_one_field_alone_is_not_a_search(registry):
    analyst = make_user("analyst")
    for query in (SearchQuery(name="محمد"), SearchQuery(governorate="بغداد"), SearchQuery(birth_year=1985),
                  SearchQuery()):
        with pytest.raises(ValueError):
            search(query, analyst, limit=100)


def test_results_are_limited(registry):
    analyst = make_user("analyst")
    assert not search(SearchQuery(name="زينب", governorate="بغداد"), analyst, limit=1).truncated
    wide = search(SearchQuery(name="زينب", governorate="بغداد"), analyst, limit=0)
    assert wide.people == [] and wide.truncated


def test_a_caseworker_finds_only_their_governorates(registry):
    basra = make_user("caseworker", "basra-worker", governorates=["البصرة"])
    assert search(SearchQuery(national_id="198503021234"), basra, limit=100).people == []
    found = search(SearchQuery(national_id="195007011111"), basra, limit=100).people
    assert [p.record_id for p in found] == ["REG-5"]
