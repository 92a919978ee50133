"""The automatic threshold follows the model's own estimate of precision (``linkage.calibrate``)."""

from __future__ import annotations

import pytest

from sijill.linkage.calibrate import auto_threshold

CASES = [
    # probabilities of the pairs not guarded, the threshold, why
    ([1.0] * 10, 0.999, "every pair at the global threshold: it stays"),
    ([0.995] * 10, 0.999, "names and a date only, clear but each 0.995: 0.5 % false expected, above 0.2 %"),
    ([0.999] * 5 + [0.998] * 5, 0.998, "clear pairs just under the global threshold: 0.15 % false expected"),
    ([1.0] * 100 + [0.96] * 3, 0.96, "three doubtful pairs beside a hundred sure ones: 0.12 % false expected"),
    ([1.0] * 100 + [0.96] * 10, 0.999, "ten doubtful pairs of one probability: 0.36 % false expected, too many"),
    ([1.0] * 100 + [0.97] * 2 + [0.96] * 10, 0.97, "the two better ones are in, the ten are not"),
    ([1.0] * 100 + [0.94] * 3, 0.999, "below the floor of 0.95 nothing is automatic"),
    ([], 0.999, "no pair"),
]


@pytest.mark.parametrize(("probabilities", "expected", "why"), CASES)
def test_the_threshold_keeps_the_estimated_precision(probabilities, expected, why):
    assert auto_threshold(probabilities, ceiling=0.999, floor=0.95, precision=0.998) == expected, why
