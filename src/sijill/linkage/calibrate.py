"""Automatic thresholds that follow the evidence: per agency and per set of fields compared.

One global probability (0.999) is out of reach for an extract that carries names and a birth date only:
however clear its pairs, the model can add only so much evidence against a small prior. The model itself
estimates how many of its pairs are false (the sum of one minus each pair's probability, from Splink's m
and u and the prior), so each set of fields gets the lowest threshold at which the pairs above it keep
the precision asked for — never above the global threshold, never below a floor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def fields_compared(explanation: list[dict]) -> frozenset[str]:
    """The fields a pair was compared on: those not missing on either side."""
    return frozenset(e["field"] for e in explanation if not (e.get("code") or "").endswith(".missing"))


def auto_thresholds(pairs: Iterable[tuple[frozenset[str], float]], *, ceiling: float, floor: float,
                    precision: float) -> dict[frozenset[str], float]:
    """For each set of fields: the lowest probability ``t`` (``floor <= t <= ceiling``) at which the model's
    own estimate of precision over the pairs at or above ``t`` is at least ``precision``. A set whose pairs
    never reach it keeps ``ceiling``."""
    by_set: dict[frozenset[str], list[float]] = defaultdict(list)
    for fields, p in pairs:
        by_set[fields].append(p)
    out = {}
    for fields, probabilities in by_set.items():
        threshold, expected_false = ceiling, 0.0
        for k, p in enumerate(sorted(probabilities, reverse=True), start=1):
            if p < floor:
                break
            expected_false += 1.0 - p
            if 1.0 - expected_false / k < precision:
                break
            threshold = min(threshold, p)
        out[fields] = threshold
    return out
