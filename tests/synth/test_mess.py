"""Every mess knob, alone: at 1.0 a user sees its effect on every row it can touch, at 0.0 on none."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from sijill import identity
from sijill.synth import Mess
from sijill.synth.config import AgencySpec, Demography
from sijill.synth.mess import Renderer
from sijill.synth.names import NameBook
from sijill.synth.population import build_population
from sijill.synth.spelling import dot_variants, keyboard_variants, spelling_variants
from sijill.synth.timeline import age_at, day

TODAY = day(dt.date(2025, 6, 30))
ARABIC_DIGITS = re.compile("[٠-٩]")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def setup():
    book = NameBook()
    pop = build_population(np.random.default_rng(11), 3000, TODAY, Demography(), book)
    pids = np.flatnonzero(age_at(pop.birth, TODAY) >= 30)[:600]
    return pop, book, pids


def render(setup, mess: Mess, layout: str = "split"):
    pop, book, pids = setup
    r = Renderer(pop, book, TODAY)
    rng = np.random.default_rng(5)
    spec = AgencySpec("test", "test", mess=mess, date_formats=("dmy", "month_name"))
    digits = rng.random(len(pids)) < mess.arabic_digits
    out = {k: v.to_pylist() for k, v in r.names(pids, mess, rng, layout=layout).items()}
    out["birth_date"] = r.dates(pop.birth[pids], spec, rng, digits).to_pylist()
    out["national_id"] = r.national_ids(pids, mess, rng, digits).to_pylist()
    out["governorate"] = r.governorates(pids, mess, rng, latin=False).to_pylist()
    clean = {
        "given": [book.vocab[i] for i in pop.given[pids]],
        "grandfather": [book.vocab[i] for i in pop.grandfather_name[pids]],
        "nid": [str(x) if x else None for x in pop.nid[pids]],
        "gov": [identity.GOVERNORATES[g] for g in pop.gov[pids]],
        "has_surname": list(pop.surname[pids] >= 0),
    }
    return out, clean


def _changed(out, clean):
    return [a != b for a, b in zip(out["given"], clean["given"], strict=True)]


def _digit_diffs(a: str, b: str) -> list[int]:
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


def _share(flags) -> float:
    flags = list(flags)
    return sum(flags) / max(len(flags), 1)


# knob -> share of rows showing its effect (over the rows it can touch)
EFFECTS = {
    "spelling": lambda o, c: _share(_changed(o, c)),
    "dots": lambda o, c: _share(_changed(o, c)),
    "keyboard": lambda o, c: _share(_changed(o, c)),
    "nickname": lambda o, c: _share(
        a != b for a, b in zip(o["given"], c["given"], strict=True) if b in ("محمد", "علي", "حسين", "فاطمة", "زينب")
    ),
    "drop_grandfather": lambda o, c: _share(g is None for g in o["grandfather"]),
    "drop_surname": lambda o, c: _share(
        s is None for s, has in zip(o["surname"], c["has_surname"], strict=True) if has
    ),
    "drop_mother": lambda o, c: _share(m is None for m in o["mother"]),
    "latin": lambda o, c: _share(g.isascii() for g in o["given"]),
    "title": lambda o, c: _share(g.split()[0] in ("الحاج", "الحاجة", "السيد", "السيدة", "الشيخ") for g in o["given"]),
    "date_format": lambda o, c: _share(not ISO.fullmatch(d) for d in o["birth_date"]),
    "arabic_digits": lambda o, c: _share(bool(ARABIC_DIGITS.search(d)) for d in o["birth_date"]),
    "id_typo": lambda o, c: _share(
        len(_digit_diffs(a, b)) == 1 for a, b in zip(o["national_id"], c["nid"], strict=True) if b
    ),
    "id_transposition": lambda o, c: _share(
        len(d := _digit_diffs(a, b)) == 2 and d[1] == d[0] + 1 and a[d[0]] == b[d[1]]
        for a, b in zip(o["national_id"], c["nid"], strict=True)
        if b
    ),
    "id_missing": lambda o, c: _share(i is None for i, b in zip(o["national_id"], c["nid"], strict=True) if b),
    "governorate_by_city": lambda o, c: _share(g != canon for g, canon in zip(o["governorate"], c["gov"], strict=True)),
}


def test_every_knob_has_a_test():
    assert set(EFFECTS) == set(Mess.knobs())


@pytest.mark.parametrize("knob", sorted(EFFECTS))
def test_knob_at_one_shows_everywhere_and_at_zero_nowhere(setup, knob):
    out, clean = render(setup, Mess.only(knob, 1.0))
    assert EFFECTS[knob](out, clean) >= 0.9, knob
    out, clean = render(setup, Mess.only(knob, 0.0))
    assert EFFECTS[knob](out, clean) == 0.0, knob


def test_knob_at_one_half_hits_about_half(setup):
    out, clean = render(setup, Mess.only("drop_grandfather", 0.5))
    assert 0.4 < EFFECTS["drop_grandfather"](out, clean) < 0.6


def test_messy_values_still_read_as_the_same_date_and_governorate(setup):
    pop, _, pids = setup
    out, clean = render(setup, Mess(date_format=1.0, arabic_digits=0.5, governorate_by_city=1.0))
    truth = [str(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))) for d in pop.birth[pids]]
    read = [identity.parse_date(d) for d in out["birth_date"]]
    assert all(r.year == int(t[:4]) for r, t in zip(read, truth, strict=True))
    assert [identity.governorate(g) for g in out["governorate"]] == clean["gov"]


def test_full_layout_writes_the_chain_in_one_column(setup):
    out, clean = render(setup, Mess(), layout="full")
    assert "given" not in out
    assert all(
        name.split()[0] == given.split()[0] for name, given in zip(out["full_name"], clean["given"], strict=True)
    )


@pytest.mark.parametrize(
    ("variants", "name"),
    [
        (spelling_variants, "فاطمة"),
        (spelling_variants, "أحمد"),
        (spelling_variants, "عبد الله"),
        (dot_variants, "زينب"),
        (keyboard_variants, "حسين"),
    ],
)
def test_variants_differ_from_the_name_but_stay_close(variants, name):
    found = variants(name)
    assert found and name not in found
    assert all(abs(len(v) - len(name)) <= 1 for v in found)


def test_spelling_variants_that_normalise_back_are_the_usual_ones():
    assert identity.normalize_text("فاطمه") == identity.normalize_text("فاطمة")
    assert "فاطمه" in spelling_variants("فاطمة") and "احمد" in spelling_variants("أحمد")
