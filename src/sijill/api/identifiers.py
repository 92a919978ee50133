"""Resolvers of the identifier types in data/id_types.csv: a value as sent -> (canonical value, persons)."""

from __future__ import annotations

from sijill import identity
from sijill.registry.models import Person


def national_id(value: str):
    """The unified national card number: 12 digits, Latin, Arabic-Indic or Persian, spaces and dashes."""
    try:
        canonical = identity.national_id(str(value or ""))
    except identity.InvalidIdentifier as e:
        raise ValueError(f"The national ID is not valid: {e.reason}.") from None
    return canonical, Person.objects.filter(national_id=canonical)
