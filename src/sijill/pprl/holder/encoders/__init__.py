"""The holder's half of each encoded field (``pprl.format.fields`` declares the other half): one small
encoder per field, each reading its clear values column by column and writing its package columns."""

from __future__ import annotations

import random

from ...format.fields import BirthDate, Blocking, Categorical, Extra, NameChain, NationalId, RationCard
from ...format.schema import LinkageSchema
from .base import CACHE_LIMIT, FieldEncoder, Read, Rows, Shared
from .blocking import BlockingEncoder
from .dates import BirthDateEncoder
from .identifiers import IdentifierEncoder, NationalIdEncoder, ration_card
from .names import NameChainEncoder
from .values import CategoricalEncoder, ExtraEncoder

__all__ = ["CACHE_LIMIT", "FieldEncoder", "IdentifierEncoder", "NameChainEncoder", "NationalIdEncoder", "Read",
           "Rows", "Shared", "field_encoders", "ration_card"]


def field_encoders(schema: LinkageSchema, shared: Shared, rng: random.Random) -> list[FieldEncoder]:
    """An encoder for each field the cycle's encoding declares, in the package's order."""
    out: list[FieldEncoder] = []
    sources: dict[str, FieldEncoder] = {}  # a blocking component's field -> the encoder with its values
    for declared in schema.encoding.fields.in_package:
        if isinstance(declared, NationalId):
            encoder: FieldEncoder = NationalIdEncoder(shared)
        elif isinstance(declared, RationCard):
            encoder = IdentifierEncoder(shared)
        elif isinstance(declared, NameChain):
            encoder = NameChainEncoder(shared, schema.fields, rng)
            sources |= dict.fromkeys((p.name for p in declared.parts), encoder)
        elif isinstance(declared, BirthDate):
            encoder = sources[declared.name] = BirthDateEncoder(shared)
        elif isinstance(declared, Categorical):
            encoder = sources[declared.name] = CategoricalEncoder(declared, shared)
        elif isinstance(declared, Extra):
            encoder = sources["extra." + declared.name] = ExtraEncoder(declared, shared)
        elif isinstance(declared, Blocking):
            encoder = BlockingEncoder(declared, shared, sources)
        else:
            raise TypeError(f"no encoder for the field {declared!r}")
        out.append(encoder)
    for encoder in out:
        if isinstance(encoder, NameChainEncoder):
            encoder.sources = sources  # the birth date salts the given name (``Hardening.salt_given_name``)
    return out
