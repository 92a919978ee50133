"""Automatic thresholds that follow the evidence: per agency, from the set of fields its package carries.

One global probability (0.999) is out of reach for an extract that carries names and a birth date only:
however clear its pairs, the model can add only so much evidence against a small prior. The model itself
estimates how many of its pairs are false (the sum of one minus each pair's probability, from Splink's m
and u and the prior), so each agency's pairs get the lowest threshold at which the pairs above it keep the
precision asked for — never above the global threshold, never below a floor.

The pairs are pooled per agency (one set of fields carried) rather than per pattern of fields missing pair
by pair: a pattern holds a handful of pairs, too few for any estimate.
"""

from __future__ import annotations

from collections.abc import Iterable


def auto_threshold(probabilities: Iterable[float], *, ceiling: float, floor: float, precision: float) -> float:
    """The lowest probability ``t`` (``floor <= t <= ceiling``) at which the model's own estimate of precision
    over the pairs at or above ``t`` (one minus the mean of one minus their probabilities) is at least
    ``precision``; ``ceiling`` when no pair below it can be admitted."""
    ranked = sorted(probabilities, reverse=True)
    threshold, expected_false = ceiling, 0.0
    for k, p in enumerate(ranked, start=1):
        if p < floor:
            break
        expected_false += 1.0 - p
        if 1.0 - expected_false / k < precision:
            break
        if k == len(ranked) or ranked[k] < p:  # every pair of this probability is in: a threshold can be here
            threshold = min(threshold, p)
    return threshold
