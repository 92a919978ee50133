"""The registry's side: its payload private keys, and opening the hits the hub returned to it::

    opened = open_hits("hits.parquet", RegistryKeys.load("keys/registry"), ["registry.pkg.map.csv"], trust)
"""

from .keys import RegistryKeys
from .opening import OpenedHit, OpenedHits, open_hits

__all__ = ["OpenedHit", "OpenedHits", "RegistryKeys", "open_hits"]
