"""Every level a hit can carry has a sentence, in Arabic and in English, found by the level's code."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from sijill.common.explain import GROUPED, SENTENCES, explain
from sijill.pprl.format.fields import ExtraField, every_level

LEVELS = every_level([ExtraField("locality", "text"), ExtraField("postcode", "exact")])


@pytest.mark.parametrize(("field", "code"), sorted({(f, lv.code) for f, lv in LEVELS}))
def test_every_level_has_a_sentence_in_both_languages(field, code):
    forms = GROUPED.get(code) or ((SENTENCES[code],) if code in SENTENCES else ())
    assert forms, f"{field}: level {code} has no sentence (add it to exchange/explain.py)"
    with translation.override("ar"):
        untranslated = [m for m in forms if gettext(m) == m]
    assert not untranslated, f"{code}: no Arabic sentence for {untranslated} (exchange/locale/ar)"
    for language in ("ar", "en"):
        sentence = explain([{"field": field, "level": "a label that is never read", "code": code}], language)
        assert sentence and "a label that is never read" not in sentence[0]


def test_a_reworded_label_changes_no_sentence():
    coded = [{"field": "given_name", "level": "anything", "code": "name.exact"},
             {"field": "father_name", "level": "else", "code": "name.exact"},
             {"field": "birth_date", "level": "whatever", "code": "date.year"}]
    assert explain(coded, "en") == ["The given name and the father's name match",
                                    "The birth year matches; the month differs"]


def test_hits_stored_before_codes_are_explained_by_their_label():
    old = [{"field": "national_id", "level": "same national ID"},
           {"field": "surname", "level": "similar spelling (Dice >= 0.8)"},
           {"field": "given_name", "level": "same name or variant"}]
    assert explain(old, "ar") == ["الرقم الوطني مطابق", "اللقب متقارب الكتابة", "الاسم مطابق"]


def test_extra_fields_are_said_apart_from_the_name():
    coded = [{"field": "surname", "code": "name.exact"}, {"field": "locality", "code": "extra.exact"}]
    assert explain(coded, "en") == ["The surname matches", "Locality matches"]
