"""The registries a cycle can match: each declares, in one place, what it encodes and where its hits go.

A registry (the social registry, the ration card, Damaan...) is the *registry side* of its own cycles. Its
declaration names its linkage schema and how its rows are produced for encoding, how the hits it opened are
stored against its own records, how possible double enrolments are stored, and the rule set that runs over its
hits. The social registry is the first; another app adds its own with ``register`` (in its ``AppConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sijill.pprl.format import LinkageSchema
from sijill.pprl.registry import OpenedHit

SOCIAL = "social"


@dataclass(frozen=True)
class Registry:
    code: str
    label: str  # for people, in Arabic
    schema: str  # its linkage schema: a file, or ``example:<name>`` for a shipped one
    count: Callable[[], int]  # how many records it would encode now
    batches: Callable[[LinkageSchema], Iterator[dict[str, list]]]  # its records as columns the schema names
    store_hits: Callable[[object, list[OpenedHit]], Sequence]  # (run, opened hits) -> the stored hits
    store_duplicates: Callable[[list[OpenedHit], str], object] | None = None  # (pairs, source) -> what was stored
    rule_set: str | None = None  # the eligibility rules that run over its hits (None: none)


_REGISTRIES: dict[str, Registry] = {}


def register(registry: Registry) -> Registry:
    """Declare a registry (again, for a reloaded app: the last declaration wins)."""
    _REGISTRIES[registry.code] = registry
    return registry


def get(code: str) -> Registry:
    try:
        return _REGISTRIES[code]
    except KeyError:
        raise LookupError(f"no registry {code!r} is declared; there are: {', '.join(sorted(_REGISTRIES))}") from None


def choices() -> list[tuple[str, str]]:
    return [(r.code, r.label) for r in _REGISTRIES.values()]
