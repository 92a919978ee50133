"""The proxy-means test: a welfare score from the interview's answers, weighted by a versioned table
(``data/pmt.csv``, ``data/pmt_cutoffs.csv``; later versions in ``PmtModel``), and a result against the cut-off
of the household's governorate and area. A score never changes a benefit: a change of result for an enrolled
household opens a case (``dueprocess.py``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from dataclasses import dataclass
from importlib import resources

from sijill.identity import governorate

from .models import Interview, PmtModel, PmtResult

FIRST_IN_FORCE = dt.date(2026, 1, 1)


def _assets(a: dict) -> set[str]:
    return set(str(a.get("assets") or "").split())


def _incomes(a: dict) -> set[str]:
    return set(str(a.get("income_sources") or "").split())


def features(answers: dict, today: dt.date | None = None) -> dict[str, float]:
    """The PMT's variables from one interview's answers (the names in ``data/pmt.csv``)."""
    year = (today or dt.date.today()).year
    members = answers.get("members") or []
    n = max(len(members), 1)
    ages = [m.get("age") for m in members if isinstance(m.get("age"), int)]
    assets, incomes = _assets(answers), _incomes(answers)
    car_year = answers.get("car_year")
    return {
        "log_income_pc": math.log1p(max(float(answers.get("monthly_income_iqd") or 0), 0) / n),
        "members": float(n),
        "dependency_ratio": sum(1 for a in ages if a < 15 or a > 64) / n,
        "disabled_members": float(sum(1 for m in members if m.get("disability") == "yes")),
        "chronic_members": float(sum(1 for m in members if m.get("chronic_illness") == "yes")),
        "rooms_per_person": float(answers.get("rooms") or 0) / n,
        "wall_poor": float(answers.get("wall_material") in ("mud", "tin_tent")),
        "condition_poor": float(answers.get("dwelling_condition") in ("poor", "dilapidated")),
        "water_unsafe": float(answers.get("water") in ("tanker", "river")),
        "rented": float(answers.get("dwelling_tenure") == "rented"),
        "informal_dwelling": float(answers.get("dwelling_tenure") == "informal"),
        "owns_car": float("car" in assets),
        "car_recent": float("car" in assets and isinstance(car_year, int) and car_year >= year - 10),
        "owns_generator": float("generator" in assets),
        "owns_air_conditioner": float("air_conditioner" in assets),
        "owns_fridge": float("fridge" in assets),
        "owns_washing_machine": float("washing_machine" in assets),
        "owns_computer": float("computer" in assets),
        "owns_livestock": float("livestock" in assets),
        "salaried": float(bool(incomes & {"government_salary", "pension"})),
        "daily_labour": float("daily_labour" in incomes),
        "loan": float(answers.get("loan") == "yes"),
        "care_forgone": float(answers.get("care_forgone") == "yes"),
        "rural": float(answers.get("area_type") == "rural"),
    }


VARIABLES = frozenset(features({}))


class PmtError(ValueError):
    """A weights or cut-offs table that cannot be used; the message names the row and the field."""


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(line for line in text.splitlines() if line.strip() and not line.startswith("#")))


def _number(value, where: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise PmtError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise PmtError(f"{where}: {value!r} is not a number")
    return number


def parse_weights(text: str, name: str = "weights") -> tuple[float, list[dict]]:
    """(intercept, [{"variable", "weight"}]) from the CSV ``variable,weight[,what it measures]``."""
    intercept, weights, seen = None, [], set()
    for i, row in enumerate(_rows(text), 2):
        variable = (row.get("variable") or "").strip()
        if variable in seen:
            raise PmtError(f"{name}, row {i}, variable: {variable} is given twice")
        seen.add(variable)
        weight = _number(row.get("weight"), f"{name}, row {i}, weight")
        if variable == "intercept":
            intercept = weight
        elif variable in VARIABLES:
            weights.append({"variable": variable, "weight": weight})
        else:
            raise PmtError(f"{name}, row {i}, variable: unknown variable {variable!r} "
                           f"(known: {', '.join(sorted(VARIABLES))})")
    if intercept is None:
        raise PmtError(f"{name}: no intercept row")
    return intercept, weights


def parse_cutoffs(text: str, name: str = "cut-offs") -> list[dict]:
    rows = []
    for i, row in enumerate(_rows(text), 2):
        place = (row.get("governorate") or "*").strip() or "*"
        if place != "*":
            try:
                place = governorate(place)
            except ValueError:  # UnknownValue
                raise PmtError(f"{name}, row {i}, governorate: unknown governorate {place!r}") from None
        area = (row.get("area") or "*").strip() or "*"
        if area not in ("*", "urban", "rural"):
            raise PmtError(f"{name}, row {i}, area: {area!r} is urban, rural or *")
        band = _number(row.get("band") or 0, f"{name}, row {i}, band")
        if band < 0:
            raise PmtError(f"{name}, row {i}, band: cannot be negative")
        cutoff = _number(row.get("cutoff"), f"{name}, row {i}, cutoff")
        rows.append({"governorate": place, "area": area, "cutoff": cutoff, "band": band})
    if not any(r["governorate"] == "*" and r["area"] == "*" for r in rows):
        raise PmtError(f"{name}: a row for governorate * and area * is needed (the default)")
    return rows


def first_model() -> PmtModel:
    """Version 1 from the shipped tables (created once)."""
    existing = PmtModel.objects.filter(version=1).first()
    if existing:
        return existing
    data = resources.files("sijill.survey") / "data"
    intercept, weights = parse_weights((data / "pmt.csv").read_text(encoding="utf-8"), "pmt.csv")
    cutoffs = parse_cutoffs((data / "pmt_cutoffs.csv").read_text(encoding="utf-8"), "pmt_cutoffs.csv")
    return PmtModel.objects.create(version=1, effective_from=FIRST_IN_FORCE, intercept=intercept, weights=weights,
                                   cutoffs=cutoffs, note="the shipped tables (data/pmt.csv, data/pmt_cutoffs.csv)")


def in_force(on: dt.date | None = None) -> PmtModel:
    on = on or dt.date.today()
    model = PmtModel.objects.filter(effective_from__lte=on).order_by("-effective_from", "-version").first()
    return model or first_model()


@dataclass(frozen=True)
class Formula:
    """A model's numbers, detached from the database (a what-if runs on an unsaved one)."""

    intercept: float
    weights: dict[str, float]
    cutoffs: list[dict]

    @classmethod
    def of(cls, model: PmtModel) -> Formula:
        return cls(model.intercept, {w["variable"]: w["weight"] for w in model.weights}, list(model.cutoffs))

    def __post_init__(self):
        object.__setattr__(self, "_terms", tuple(self.weights.items()))
        object.__setattr__(self, "_cut", {})  # (governorate, area) -> the cut-off row: a campaign has few

    def score(self, answers: dict) -> float:
        values = features(answers)
        return self.intercept + sum(w * values[v] for v, w in self._terms)

    def cutoff(self, governorate: str, area: str) -> dict:
        found = self._cut.get((governorate, area))
        if found is None:
            def rank(row):
                return (row["governorate"] == governorate) * 2 + (row["area"] == area)
            able = [r for r in self.cutoffs if r["governorate"] in ("*", governorate) and r["area"] in ("*", area)]
            found = self._cut[(governorate, area)] = max(able, key=rank)
        return found

    def result(self, score: float, governorate: str, area: str) -> str:
        row = self.cutoff(governorate, area)
        if score < row["cutoff"] - row["band"]:
            return PmtResult.ELIGIBLE
        if score > row["cutoff"] + row["band"]:
            return PmtResult.NOT_ELIGIBLE
        return PmtResult.BORDERLINE

    def apply(self, answers: dict, governorate: str) -> tuple[float, str]:
        score = self.score(answers)
        return round(score, 4), self.result(score, governorate, answers.get("area_type") or "*")


def what_if(candidate: Formula, interviews=None) -> dict:
    """What ``candidate`` would change against the results recorded: transitions (before -> after) overall
    and per governorate, and the enrolled households that would change result (each would go to a case)."""
    interviews = interviews if interviews is not None else Interview.objects.exclude(pmt_result="")
    moves: Counter = Counter()
    by_place: dict[str, Counter] = {}
    enrolled_changes = 0
    for item in interviews.select_related("target").only("answers", "pmt_result", "target__governorate",
                                                          "target__household_id").iterator(chunk_size=2000):
        _, after = candidate.apply(item.answers, item.target.governorate)
        moves[(item.pmt_result, after)] += 1
        if after != item.pmt_result:
            by_place.setdefault(item.target.governorate, Counter())[(item.pmt_result, after)] += 1
            enrolled_changes += item.target.household_id is not None
    label = dict(PmtResult.choices)
    return {"moves": moves, "by_governorate": by_place,
            "rows": [(label.get(a, a or "—"), label.get(b, b), n) for (a, b), n in sorted(moves.items())],
            "places": [(place, "، ".join(f"{label.get(a, a)} → {label.get(b, b)}: {n}"
                                         for (a, b), n in sorted(c.items())))
                       for place, c in sorted(by_place.items())],
            "changed": sum(n for (a, b), n in moves.items() if a != b), "total": sum(moves.values()),
            "households_changing": enrolled_changes}


def weights_csv(model: PmtModel) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variable", "weight"])
    writer.writerow(["intercept", model.intercept])
    for w in model.weights:
        writer.writerow([w["variable"], w["weight"]])
    return out.getvalue()


def cutoffs_csv(model: PmtModel) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["governorate", "area", "cutoff", "band"])
    for r in model.cutoffs:
        writer.writerow([r["governorate"], r["area"], r["cutoff"], r["band"]])
    return out.getvalue()
