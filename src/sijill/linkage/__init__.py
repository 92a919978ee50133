"""The linkage hub: cascade matching on encodings (exact tokens, then Fellegi–Sunter with Splink on
DuckDB or Spark), one-to-one assignment and explained hits. It never takes a secret nor sees a clear identifier.
"""

from .cascade import Match, StageCounts
from .model import Thresholds
from .run import HubEvent, RunLog, apply_retention, match

__all__ = ["HubEvent", "Match", "RunLog", "StageCounts", "Thresholds", "apply_retention", "match"]
