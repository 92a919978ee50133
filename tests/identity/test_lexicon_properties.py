"""Properties over the whole shipped lexicon, with the mess clerks add on top of each spelling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sijill.identity import canonical, lexicon, normalize_text, skeleton

VARIANTS = sorted(lexicon.variants().items())
LATIN = sorted(lexicon.latin_names().items())
DISTINCT = [
    ("حسن", "حسين"), ("محمد", "محمود"), ("محمد", "احمد"), ("محمود", "احمد"), ("حامد", "احمد"),
    ("جاسم", "قاسم"), ("سعد", "سعيد"), ("عمر", "عمار"), ("كريم", "اكرم"), ("علي", "عليوي"),
    ("Hassan", "Hussein"), ("Hasan", "Husain"), ("Mohammed", "Mahmoud"), ("Ahmed", "Hamed"),
]

# What clerks add to a spelling: harakat, tatweel, a hamza on the alef, an invisible mark.
mess = st.sampled_from([
    lambda s: s,
    lambda s: s[:1] + "\u064e" + s[1:],
    lambda s: s[:2] + "ـ" + s[2:],
    lambda s: s.replace("ا", "أ", 1),
    lambda s: s + "\u200f",
    lambda s: "\u200c".join(s.split()),
    lambda s: s.upper(),
])


@given(st.sampled_from(VARIANTS), mess)
def test_every_variant_collapses_to_its_canonical(pair, messy):
    variant, target = pair
    assert canonical(messy(variant)) == canonical(target) == target


@given(st.sampled_from(LATIN), mess)
def test_every_latin_spelling_meets_its_arabic_name(pair, messy):
    latin, arabic = pair
    assert canonical(messy(latin)) == canonical(arabic)
    assert skeleton(messy(latin)) == skeleton(arabic)


@given(st.sampled_from(DISTINCT), mess, mess)
def test_distinct_names_stay_distinct_whatever_the_mess(pair, mess_a, mess_b):
    a, b = pair
    assert canonical(mess_a(a)) != canonical(mess_b(b))


def test_the_lexicon_is_consistent():
    canonicals = set(lexicon.variants().values())
    assert not canonicals & set(lexicon.variants()), "a canonical form is also listed as a variant"
    assert len(set(lexicon.latin_names().values())) >= 250, "the common Iraqi names are covered"
    for latin, arabic in LATIN:
        assert latin == "".join(normalize_text(latin).split()) and arabic == normalize_text(arabic)


def test_every_entry_without_mess():
    """The full sweep the sampled properties above start from: no entry of either file is lost."""
    assert [(lat, a) for lat, a in LATIN if skeleton(lat) != skeleton(a) or canonical(lat) != canonical(a)] == []
    assert [(v, c) for v, c in VARIANTS if canonical(v) != c] == []
