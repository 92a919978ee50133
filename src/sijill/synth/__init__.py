"""A synthetic Iraqi population, social registry and partner-agency extracts, with ground truth.

    >>> from sijill.synth import generate_world
    >>> summary = generate_world("out/world", persons=10_000, seed=1)

Pure layer: imports ``sijill.identity`` and never Django. See docs/synthetic-data.md for the model.
"""

from .config import DATE_FORMATS, AgencySpec, Demography, Mess, Rules, SynthConfig, default_agencies
from .world import FileInfo, WorldSummary, generate_world, stages

__all__ = [
    "DATE_FORMATS",
    "AgencySpec",
    "Demography",
    "FileInfo",
    "Mess",
    "Rules",
    "SynthConfig",
    "WorldSummary",
    "default_agencies",
    "generate_world",
    "stages",
]
