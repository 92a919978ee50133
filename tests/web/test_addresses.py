"""Household addresses in the Iraqi form: imported from a Windows-1256 households file with a row report,
kept as history (a re-import adds nothing, a move adds an entry), and searchable by phone and mahalla by the
staff who may search, within their governorates."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_user

from sijill.registry.importing.kinds import Invalid, phones
from sijill.registry.importing.service import import_file
from sijill.registry.models import Household, HouseholdAddress, HouseholdLocation
from sijill.registry.search import SearchQuery, search

HEADER = ("رقم الأسرة,المحافظة,القضاء,الناحية,المحلة,الزقاق,الدار,أقرب نقطة دالة,رقم الهاتف,خط العرض,خط الطول,"
          "تاريخ تحديد الموقع")
ROWS = [
    # row 2: good, two phones (one with the country code), a position
    "HH-1,بغداد,الكرخ,مركز قضاء الكرخ,905,12,7,قرب جامع الرحمن,07701234567 / +964 780 111 2222,33.3128,44.3615,"
    "2024-05-01",
    # row 3: a phone that is not one: the value is left empty, the row kept
    "HH-2,البصرة,الزبير,مركز قضاء الزبير,214,3,40,مقابل مدرسة النور,12345,,,",
    # row 4: latitude and longitude swapped: both left empty
    "HH-3,نينوى,الموصل,حمام العليل,118,9,2,قرب سوق الحكمة,07501234567,43.13,36.34,2023-11-02",
    # row 5: no household number: rejected
    ",بغداد,الرصافة,,601,1,1,,07711112222,,,",
]

# Phone numbers as clerks write them, and what is stored (a reviewer can add rows).
PHONES = [
    ("07701234567", "07701234567"),
    ("٠٧٧٠١٢٣٤٥٦٧", "07701234567"),
    ("+964 770 123 4567", "07701234567"),
    ("00964-770-123-4567", "07701234567"),
    ("7701234567", "07701234567"),
    ("07701234567 / 07801112222", "07701234567 07801112222"),
    ("07701234567، 07701234567", "07701234567"),  # the same number twice is kept once
    ("01 7181234", "017181234"),  # a Baghdad landline with its area code
]
NOT_PHONES = ["12345", "0770123456", "077012345678", "هاتف"]


@pytest.mark.parametrize(("written", "stored"), PHONES)
def test_phone_numbers_are_read_as_clerks_write_them(written, stored):
    assert phones(written) == stored


@pytest.mark.parametrize("written", NOT_PHONES)
def test_what_is_not_a_phone_number_is_refused_with_a_reason(written):
    with pytest.raises(Invalid):
        phones(written)


def _write(path: Path, rows: list[str]) -> Path:
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("cp1256"))
    return path


@pytest.mark.django_db
def test_a_windows_1256_households_file_brings_addresses_with_a_row_report(tmp_path):
    result = import_file(_write(tmp_path / "households.csv", ROWS), "households", actor="test")
    assert result.encoding == "cp1256" and result.created == 3 and result.rejected == 1
    problems = {(i.row, i.field): i for i in result.issues}
    assert problems[(3, "phones")].rejected is False and "12345" in problems[(3, "phones")].reason
    assert "swapped" in problems[(4, "latitude")].reason and problems[(4, "longitude")].rejected is False
    assert problems[(5, "household_id")].rejected

    first = HouseholdAddress.objects.get(household__household_id="HH-1")
    assert (first.governorate, first.district, first.mahalla, first.zuqaq, first.dar) == ("بغداد", "الكرخ", "905",
                                                                                           "12", "7")
    assert first.phones == "07701234567 07801112222" and first.landmark == "قرب جامع الرحمن"
    assert first.one_line.startswith("محلة 905، زقاق 12، دار 7")
    assert "households.csv" in first.source
    assert HouseholdAddress.objects.get(household__household_id="HH-2").phones == ""
    location = HouseholdLocation.objects.get()
    assert location.household.household_id == "HH-1" and location.geo_uri == "geo:33.312800,44.361500"
    assert str(location.observed_on) == "2024-05-01"


@pytest.mark.django_db
def test_re_importing_adds_nothing_and_a_move_is_kept_as_history(tmp_path):
    import_file(_write(tmp_path / "households.csv", ROWS), "households", actor="test")
    again = import_file(_write(tmp_path / "households.csv", ROWS), "households", actor="test")
    assert again.updated == 3 and HouseholdAddress.objects.count() == 3 and HouseholdLocation.objects.count() == 1
    moved = [ROWS[0].replace(",905,12,7,", ",611,4,19,").replace("33.3128,44.3615", "33.3301,44.4002")]
    import_file(_write(tmp_path / "moved.csv", moved), "households", actor="test")
    home = Household.objects.get(household_id="HH-1")
    history = list(home.addresses.all())
    assert [a.mahalla for a in history] == ["611", "905"]  # the latest first, the earlier one kept
    assert home.locations.count() == 2 and str(home.locations.first().latitude) == "33.330100"


@pytest.mark.django_db
def test_a_file_of_phone_numbers_alone_keeps_the_rest_of_the_address(tmp_path):
    import_file(_write(tmp_path / "households.csv", ROWS), "households", actor="test")
    update = tmp_path / "phones.csv"
    update.write_text("رقم الأسرة,رقم الهاتف\nHH-1,07909998888\n", encoding="utf-8")
    import_file(update, "households", actor="test")
    latest = Household.objects.get(household_id="HH-1").addresses.first()
    assert latest.phones == "07909998888" and latest.mahalla == "905" and latest.landmark == "قرب جامع الرحمن"


@pytest.mark.django_db
def test_staff_search_by_phone_alone_or_by_name_and_mahalla_within_their_governorates(people, tmp_path, client):
    import_file(_write(tmp_path / "households.csv", ROWS), "households", actor="test")
    baghdad = make_user("caseworker", "cw", governorates=["بغداد"])
    analyst = make_user("analyst", "an")
    found = search(SearchQuery(phone="07801112222"), analyst, 50)
    assert {p.membership.household.household_id for p in found.people} == {"HH-1"} and len(found.people) >= 2
    assert not search(SearchQuery(phone="07501234567"), baghdad, 50).people  # HH-3 is in Nineveh
    assert search(SearchQuery(phone="07501234567"), analyst, 50).people
    by_mahalla = search(SearchQuery(name="محمد علي", address="محلة 905"), analyst, 50).people
    assert by_mahalla and all(p.membership.household.household_id == "HH-1" for p in by_mahalla)
    assert not search(SearchQuery(name="محمد علي", address="611"), analyst, 50).people
    assert not SearchQuery(address="905").is_enough()  # an address alone would list a neighbourhood

    client.force_login(analyst)
    page = client.post("/registry/search/", {"phone": "+964 780 111 2222"}).content.decode()
    assert "محمد" in page
    from sijill.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(action="search").latest("seq")
    assert "07801112222" in entry.details


@pytest.mark.django_db
def test_the_person_page_shows_the_address_its_position_and_its_history(people, tmp_path, client):
    from sijill.registry.models import Person

    import_file(_write(tmp_path / "households.csv", ROWS), "households", actor="test")
    import_file(_write(tmp_path / "moved.csv", [ROWS[0].replace(",905,12,7,", ",611,4,19,")]), "households",
                actor="test")
    person = Person.objects.filter(membership__household__household_id="HH-1").first()
    client.force_login(make_user("analyst", "an"))
    page = client.get(f"/registry/people/{person.pk}/").content.decode()
    assert "محلة 611، زقاق 4، دار 19" in page and 'href="geo:33.312800,44.361500"' in page
    assert "العناوين والمواقع السابقة" in page and "محلة 905" in page  # the earlier address, in the history
