"""Why the hub linked two records, in plain sentences: "the national number matches; the given, father's
and grandfather's names match; the birth year matches; the month differs".

The hub explains each hit per comparison: a field and the level reached, with the level's stable code
(declared with the encoded fields in ``sijill.pprl.format.fields``). The sentence is looked up by that code, never
by the English label. Name parts (and extra fields) that agree at the same level are said together.
"""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from sijill.pprl.format.fields import NAME_FIELDS, every_level

SAME = (gettext_noop("%(field)s matches"), gettext_noop("%(fields)s match"))
DIFFERS = (gettext_noop("%(field)s differs"), gettext_noop("%(fields)s differ"))
MISSING = (gettext_noop("%(field)s is missing from one record"), gettext_noop("%(fields)s are missing from one record"))
SIMILAR = (gettext_noop("%(field)s is spelt similarly"), gettext_noop("%(fields)s are spelt similarly"))
NEAR = (gettext_noop("%(field)s is spelt nearly alike"), gettext_noop("%(fields)s are spelt nearly alike"))

# A level of a name part or an extra field -> (one field, several fields)
GROUPED = {
    "name.exact": SAME,
    "name.same_or_variant": SAME,
    "name.variant": (gettext_noop("%(field)s matches as a variant or a nickname"),
                     gettext_noop("%(fields)s match as variants or nicknames")),
    "name.other_reading": (gettext_noop("%(field)s matches in another reading"),
                           gettext_noop("%(fields)s match in another reading")),
    "name.skeleton": (gettext_noop("%(field)s is written alike in another script or spelling"),
                      gettext_noop("%(fields)s are written alike in another script or spelling")),
    "name.rasm": (gettext_noop("%(field)s has the same letters, with dots lost or added (a scanned register)"),
                  gettext_noop("%(fields)s have the same letters, with dots lost or added (a scanned register)")),
    "name.no_article": (gettext_noop("%(field)s matches without the article or البو"),
                        gettext_noop("%(fields)s match without the article or البو")),
    "name.first_name": (gettext_noop("%(field)s: the first name matches"),
                        gettext_noop("%(fields)s: the first names match")),
    "name.swapped": (gettext_noop("%(field)s is written in the place of the other (given name and surname swapped)"),
                     gettext_noop("%(fields)s are written in each other's place (given name and surname swapped)")),
    "name.dice_high": SIMILAR,
    "name.dice_near": NEAR,
    "name.disagree": DIFFERS,
    "name.missing": MISSING,
    "name.not_compared": (gettext_noop("%(field)s is not compared (it is keyed by the father's and grandfather's "
                                       "names, and they differ)"),
                          gettext_noop("%(fields)s are not compared (they are keyed by the father's and "
                                       "grandfather's names, and they differ)")),
    "extra.exact": SAME,
    "extra.dice_high": SIMILAR,
    "extra.dice_near": NEAR,
    "extra.disagree": DIFFERS,
    "extra.missing": MISSING,
}

FIELD_NAMES = {
    "given_name": gettext_noop("the given name"),
    "father_name": gettext_noop("the father's name"),
    "grandfather_name": gettext_noop("the grandfather's name"),
    "surname": gettext_noop("the surname"),
    "mother_name": gettext_noop("the mother's name"),
}

# Every other level: code -> sentence
SENTENCES = {
    "nid.exact": gettext_noop("the national number matches"),
    "nid.differ": gettext_noop("the national numbers differ"),
    "nid.missing": gettext_noop("the national number is missing from one record"),
    "date.exact": gettext_noop("the birth date matches"),
    "date.swapped": gettext_noop("the birth date matches with day and month swapped"),
    "date.month": gettext_noop("the birth year and month match; the day differs"),
    "date.year_only": gettext_noop("the birth year matches (one date is known to its year only)"),
    "date.year": gettext_noop("the birth year matches; the month differs"),
    "date.year_apart": gettext_noop("the birth years are one year apart"),
    "date.years_apart": gettext_noop("the birth years are two or three years apart; one is known to its year only"),
    "date.disagree": gettext_noop("the birth date differs"),
    "date.missing": gettext_noop("the birth date is missing from one record"),
    "card.exact": gettext_noop("the ration card (or agency number) matches"),
    "card.disagree": gettext_noop("the ration card (or agency number) differs"),
    "card.missing": gettext_noop("the ration card (or agency number) is missing from one record"),
    "sex.exact": gettext_noop("the sex matches"),
    "sex.disagree": gettext_noop("the sex differs"),
    "sex.missing": gettext_noop("the sex is missing from one record"),
    "gov.exact": gettext_noop("the governorate matches"),
    "gov.disagree": gettext_noop("the governorate differs"),
    "gov.missing": gettext_noop("the governorate is missing from one record"),
    "hit.tie": gettext_noop("another beneficiary matches equally well: a person must decide"),
}

# Hits stored before levels had codes carry the label only: their code is found from the declarations.
_LEVELS = every_level()
_BY_LABEL = {(field, level.label): level.code for field, level in _LEVELS}
# The exact stage's name levels are declared once but said of every name part.
_BY_LABEL |= {(part, level.label): level.code for _field, level in _LEVELS if level.code.startswith("name.")
              for part in NAME_FIELDS if (part, level.label) not in _BY_LABEL}


def code_of(item: dict) -> str:
    """The level's code (a hit stored before codes: found by its field and label)."""
    return item.get("code") or _BY_LABEL.get((item.get("field", ""), item.get("level") or ""), "")


def explain(explanation: list[dict] | None, language: str | None = None) -> list[str]:
    """One sentence per comparison (name parts at the same level together), in ``language`` or the
    active language."""
    if language:
        with translation.override(language):
            return explain(explanation)
    sentences: list[str] = []
    group: list[str] = []
    group_key: tuple | None = None  # (sentence forms, name or extra field)

    def flush() -> None:
        if group and group_key:
            one, several = group_key[0]
            names = [_(FIELD_NAMES[f]) if f in FIELD_NAMES else f for f in group]
            sentences.append(_(one) % {"field": names[0]} if len(names) == 1 else
                             _(several) % {"fields": _join(names)})
        group.clear()

    for item in explanation or []:
        field, code = item.get("field", ""), code_of(item)
        forms = GROUPED.get(code)
        if forms is not None:
            key = (forms, field in NAME_FIELDS)
            if key != group_key:
                flush()
                group_key = key
            group.append(field)
            continue
        flush()
        sentence = SENTENCES.get(code)
        sentences.append(_(sentence) if sentence else _("%(field)s: %(level)s") % {
            "field": _(FIELD_NAMES[field]) if field in FIELD_NAMES else field, "level": item.get("level") or code})
    flush()
    return [s[:1].upper() + s[1:] for s in sentences]


def _join(names: list[str]) -> str:
    text = names[0]
    for name in names[1:-1]:
        text = _("%(list)s, %(next)s") % {"list": text, "next": name}
    return _("%(list)s and %(last)s") % {"list": text, "last": names[-1]}


class MatchClass(models.TextChoices):
    EXACT = "exact", gettext_lazy("exact")
    PROBABLE = "probable", gettext_lazy("probable")
    REVIEW = "review", gettext_lazy("for review")
