"""parse_name: the Iraqi name chain from one string or from separate parts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sijill.identity import parse_name


def test_full_name_with_title_and_laqab():
    chain = parse_name("الحاج محمد جاسم حسين الجبوري", mother="فاطمة كاظم")
    assert chain.titles == ("الحاج",)
    assert (chain.given, chain.father, chain.grandfather, chain.surname) == ("محمد", "جاسم", "حسين", "الجبوري")
    assert chain.mother == "فاطمه كاظم"
    assert chain.surname_key == "جبوري"


def test_separate_parts_equal_the_full_name():
    whole = parse_name("زينب عبد الكريم جاسم آل البو عامر")
    parts = parse_name(given="زينب", father="عبدالكريم", grandfather="جاسم", surname="البو عامر")
    assert whole.parts == parts.parts
    assert whole.surname_key == parts.surname_key == "عامر"


def test_compound_given_names_stay_whole():
    assert parse_name("نور الهدى علي حسين").given == "نورالهدي"
    assert parse_name("سيف الدين كريم محمود").given == "سيفالدين"
    assert parse_name("عبد الامير خضير عباس").given == "عبدالامير"
    assert parse_name("ابو بكر عمر خالد").given == "ابوبكر"


def test_missing_grandfather_and_surname_stay_missing():
    chain = parse_name(given="علي", father="حسين")
    assert (chain.grandfather, chain.surname, chain.extra) == (None, None, ())
    assert parse_name("علي حسين").grandfather is None


def test_quadruple_name_keeps_the_great_grandfather_apart():
    chain = parse_name("علي حسين كاظم جواد الربيعي")
    assert (chain.given, chain.father, chain.grandfather) == ("علي", "حسين", "كاظم")
    assert chain.extra == ("جواد",)
    assert chain.surname == "الربيعي"


def test_mohammed_ali_keeps_both_readings():
    short = parse_name("محمد علي حسين الجبوري")
    assert (short.given, short.father) == ("محمد", "علي")
    assert [r.given for r in short.readings()] == ["محمد", "محمدعلي"]
    assert short.alternatives[0].father == "حسين"
    # Five words before the laqab read as a compound given name first.
    long = parse_name("محمد علي حسين كاظم جواد الجبوري")
    assert long.given == "محمدعلي" and long.alternatives[0].given == "محمد"
    # Written in the given-name column it is one name, and the split reading is kept.
    column = parse_name(given="محمد علي", father="حسين", grandfather="كاظم")
    assert (column.given, column.father) == ("محمدعلي", "حسين")
    assert (column.alternatives[0].given, column.alternatives[0].father) == ("محمد", "علي")


def test_a_lone_title_word_is_a_name_not_a_title():
    assert parse_name(given="سيد").given == "سيد"


def test_elias_is_a_given_name_not_a_laqab():
    assert parse_name("علي حسين الياس").grandfather == "الياس"


def test_latin_chain_has_arabic_keys():
    chain = parse_name("Mohammed Ali Hussein Al-Jubouri")
    assert chain.script == "latin"
    assert chain.surname == "aljubouri"
    assert chain.skeleton == parse_name("محمد علي حسين الجبوري").skeleton


def test_nicknames_collapse_in_canonical_parts():
    assert parse_name("علاوي حمودي داوود").canonical[:3] == ("علي", "محمد", "داود")


part = st.sampled_from(["محمد", "علي", "حسين", "كاظم", "جاسم", "فاطمة", "زينب", "عبد الكريم", "نور الهدى"])


@given(part, part, part)
def test_full_name_and_parts_agree(g, f, gf):
    assert parse_name(f"{g} {f} {gf}").parts == parse_name(given=g, father=f, grandfather=gf).parts
