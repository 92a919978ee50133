"""The linkage hub as its own service (``sijill hub serve``), meant to be run by another party than the ministry.

It receives signed packages from the data holders (the registry's and the partners'), checks them, runs the
comparison (``sijill.linkage``), keeps the run log, applies retention and returns the hits, sealed payloads
included, to the registry only. It holds public keys only: no setting can point at a key folder and nothing
under its data folder is a secret. It imports ``sijill.linkage`` and ``sijill.pprl.format``, never the
holder's or the registry's side of ``pprl``, nor Django (an import-linter contract).
"""

from .client import HubClient, HubError
from .store import HubStore

__all__ = ["HubClient", "HubError", "HubStore"]
