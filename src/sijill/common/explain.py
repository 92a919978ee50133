"""Why the hub linked two records, in plain sentences: "the national number matches; the given, father's
and grandfather's names match; the birth year matches; the month differs".

The hub explains each hit per comparison (``sijill.linkage.comparisons``; the exact stage in
``sijill.linkage.cascade``): a field and the label of the agreement level reached. Name parts that agree at
the same level are said together.
"""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

NAME_FIELDS = ("given_name", "father_name", "grandfather_name", "surname", "mother_name")

# A name part's level -> (one part, several parts)
NAME_LEVELS = {
    "exact": (gettext_noop("%(field)s matches"), gettext_noop("%(fields)s match")),
    "same name or variant": (gettext_noop("%(field)s matches"), gettext_noop("%(fields)s match")),
    "variant or nickname": (gettext_noop("%(field)s matches as a variant or a nickname"),
                            gettext_noop("%(fields)s match as variants or nicknames")),
    "other reading (محمد علي)": (gettext_noop("%(field)s matches in another reading"),
                                 gettext_noop("%(fields)s match in another reading")),
    "skeleton (cross-script)": (gettext_noop("%(field)s is written alike in another script or spelling"),
                                gettext_noop("%(fields)s are written alike in another script or spelling")),
    "same family name without ال / البو": (gettext_noop("%(field)s matches without the article or البو"),
                                          gettext_noop("%(fields)s match without the article or البو")),
    "same first name": (gettext_noop("%(field)s: the first name matches"),
                        gettext_noop("%(fields)s: the first names match")),
    "disagree": (gettext_noop("%(field)s differs"), gettext_noop("%(fields)s differ")),
    "missing": (gettext_noop("%(field)s is missing from one record"),
                gettext_noop("%(fields)s are missing from one record")),
}
SIMILAR = (gettext_noop("%(field)s is spelt similarly"), gettext_noop("%(fields)s are spelt similarly"))
NEAR = (gettext_noop("%(field)s is spelt nearly alike"), gettext_noop("%(fields)s are spelt nearly alike"))

FIELD_NAMES = {
    "given_name": gettext_noop("the given name"),
    "father_name": gettext_noop("the father's name"),
    "grandfather_name": gettext_noop("the grandfather's name"),
    "surname": gettext_noop("the surname"),
    "mother_name": gettext_noop("the mother's name"),
}

# Other comparisons: field -> level -> sentence
SENTENCES = {
    "national_id": {
        "same national ID": gettext_noop("the national number matches"),
        "different national ID": gettext_noop("the national numbers differ"),
        "missing": gettext_noop("the national number is missing from one record"),
    },
    "birth_date": {
        "exact date": gettext_noop("the birth date matches"),
        "day and month swapped": gettext_noop("the birth date matches with day and month swapped"),
        "same year and month": gettext_noop("the birth year and month match; the day differs"),
        "same year (a date known to its year only)": gettext_noop(
            "the birth year matches (one date is known to its year only)"),
        "same year, different day": gettext_noop("the birth year matches; the month differs"),
        "a year apart": gettext_noop("the birth years are one year apart"),
        "disagree": gettext_noop("the birth date differs"),
        "missing": gettext_noop("the birth date is missing from one record"),
    },
    "ration_card": {"same ration card or agency number": gettext_noop("the ration card (or agency number) matches"),
                    "disagree": gettext_noop("the ration card (or agency number) differs"),
                    "missing": gettext_noop("the ration card (or agency number) is missing from one record")},
    "sex": {"same sex": gettext_noop("the sex matches"), "disagree": gettext_noop("the sex differs"),
            "missing": gettext_noop("the sex is missing from one record")},
    "governorate": {"same governorate": gettext_noop("the governorate matches"),
                    "disagree": gettext_noop("the governorate differs"),
                    "missing": gettext_noop("the governorate is missing from one record")},
    "*": {"tie with another beneficiary": gettext_noop(
        "another beneficiary matches equally well: a person must decide")},
}


def explain(explanation: list[dict] | None, language: str | None = None) -> list[str]:
    """One sentence per comparison (name parts at the same level together), in ``language`` or the
    active language."""
    if language:
        with translation.override(language):
            return explain(explanation)
    sentences: list[str] = []
    group: list[str] = []
    group_level: tuple[str, str] | None = None

    def flush() -> None:
        if group and group_level:
            one, several = group_level
            names = [_(FIELD_NAMES[f]) for f in group]
            sentences.append(_(one) % {"field": names[0]} if len(names) == 1 else
                             _(several) % {"fields": _join(names)})
        group.clear()

    for item in explanation or []:
        field, level = item.get("field", ""), item.get("level") or ""
        if field in NAME_FIELDS:
            forms = _name_level(level)
            if forms is None:
                flush()
                sentences.append(_("%(field)s: %(level)s") % {"field": _(FIELD_NAMES[field]), "level": level})
                continue
            if forms != group_level:
                flush()
                group_level = forms
            group.append(field)
            continue
        flush()
        sentence = SENTENCES.get(field, {}).get(level)
        sentences.append(_(sentence) if sentence else _("%(field)s: %(level)s") % {"field": field, "level": level})
    flush()
    return [s[:1].upper() + s[1:] for s in sentences]


def _name_level(level: str) -> tuple[str, str] | None:
    if level in NAME_LEVELS:
        return NAME_LEVELS[level]
    if level.startswith("similar spelling"):
        return SIMILAR
    if level.startswith("near spelling"):
        return NEAR
    return None


def _join(names: list[str]) -> str:
    text = names[0]
    for name in names[1:-1]:
        text = _("%(list)s, %(next)s") % {"list": text, "next": name}
    return _("%(list)s and %(last)s") % {"list": text, "last": names[-1]}


class MatchClass(models.TextChoices):
    EXACT = "exact", gettext_lazy("exact")
    PROBABLE = "probable", gettext_lazy("probable")
    REVIEW = "review", gettext_lazy("for review")
