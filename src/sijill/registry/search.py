"""Search-first access to the registry: a national ID, or a name with one more field; never a list of all.

Names are compared on the keys ``sijill.identity`` computes (canonical parts: variants, hamza forms,
nicknames and Latin spellings meet); when that finds nobody, on the looser cross-script skeletons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from sijill import identity

from .keys import chain_keys
from .models import Person


@dataclass(frozen=True)
class SearchQuery:
    national_id: str = ""
    name: str = ""
    mother: str = ""
    birth_year: int | None = None
    governorate: str = ""
    phone: str = ""  # 07XXXXXXXXX, as importing.kinds.phones writes it
    address: str = ""  # a mahalla, nahiya or district, or words of the nearest landmark

    def is_enough(self) -> bool:
        """A national ID or a phone number alone, or a name and at least one more field: never a list of
        everybody (an address is one more field, never enough alone)."""
        return bool(self.national_id or self.phone) or bool(
            self.name and (self.mother or self.birth_year or self.governorate or self.address))

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


@dataclass
class SearchResult:
    people: list[Person] = field(default_factory=list)
    truncated: bool = False  # more matched than the limit: the user should add a field
    approximate: bool = False  # found on skeletons only (the spelling differs from the record's)


def _name_filter(name: str, level: str) -> Q:
    """Any reading of the typed chain; each part given must agree (a surname, when the record has one)."""
    suffix = "_key" if level == "key" else "_skel"
    either = Q(pk__in=[])
    for reading in identity.parse_name(name).readings():
        keys = chain_keys(reading)
        q = Q()
        for part in ("given", "father", "grandfather"):
            if keys[f"{part}_key"]:
                q &= Q(**{f"{part}{suffix}": keys[f"{part}{suffix}"]})
        if keys["surname_key"] and level == "key":
            q &= Q(surname_key=keys["surname_key"]) | Q(surname_key="")
        either |= q
    return either


def _address_filter(text: str) -> Q:
    """A mahalla (محلة 905 or 905), nahiya or district as written, or words of the landmark."""
    words = text.split()
    if words and words[0] in ("محلة", "حي", "ناحية", "قضاء", "mahalla"):
        words = words[1:]
    value = " ".join(words)
    at = "membership__household__addresses__"
    return (Q(**{f"{at}mahalla": value}) | Q(**{f"{at}nahiya": value}) | Q(**{f"{at}district": value})
            | Q(**{f"{at}landmark__icontains": value}))


def search(query: SearchQuery, user, limit: int) -> SearchResult:
    """At most ``limit`` persons this user may see that match; raises ValueError for a too-broad query."""
    if not query.is_enough():
        raise ValueError("a search needs a national ID, or a name and one more field")
    qs = Person.objects.visible_to(user).select_related("membership__household")
    if query.national_id:
        qs = qs.filter(national_id=query.national_id)
    if query.mother:
        mother = identity.canonical(query.mother)
        qs = qs.filter(Q(mother_key=mother) | Q(mother_key__startswith=mother + " "))
    if query.birth_year:
        qs = qs.filter(birth_year=query.birth_year)
    if query.governorate:
        qs = qs.filter(governorate=query.governorate)
    if query.phone:  # any number the household gave, now or before (its address history)
        qs = qs.filter(membership__household__addresses__phones__contains=query.phone).distinct()
    if query.address:
        qs = qs.filter(_address_filter(query.address)).distinct()
    order = ("given_key", "father_key", "grandfather_key", "id")
    if not query.name:
        return _limited(qs.order_by(*order), limit, approximate=False)
    found = _limited(qs.filter(_name_filter(query.name, "key")).order_by(*order), limit, approximate=False)
    if found.people:
        return found
    return _limited(qs.filter(_name_filter(query.name, "skel")).order_by(*order), limit, approximate=True)


def _limited(qs, limit: int, approximate: bool) -> SearchResult:
    people = list(qs[: limit + 1])
    return SearchResult(people[:limit], len(people) > limit, approximate and bool(people))
