"""A second synthetic Iraqi world, written independently of the matcher, to judge it on (issue 20).

    >>> from sijill.synth.independent import generate_independent_world
    >>> summary = generate_independent_world("out/world-b", persons=20_000, seed=1001)

Its own families, name lists (data/) and error model, one profile per data holder (data/profiles.yaml); the
same file contract as the first world (manifest.json, registry/members.csv, agencies/*, truth/). It imports
nothing from the identity, pprl or linkage layers. docs/synthetic-world-b.md describes it; seeds 1001-1009
are for tuning, 2001 and above for evaluation only.
"""

from .romanise import CONVENTIONS, romanise
from .world import AGENCIES, IndependentSummary, generate_independent_world

__all__ = ["AGENCIES", "CONVENTIONS", "IndependentSummary", "generate_independent_world", "romanise"]
