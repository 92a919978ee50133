"""Whose signatures the registry accepts: each agency's registered Ed25519 public key, and its own.

An agency registers the ``holder.pub`` that ``sijill keys init`` made (a small public JSON file); the
registry's own key is the one in its key folder under SIJILL_DATA_DIR. Public keys only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.utils.translation import gettext as _

from sijill.pprl.format import TrustStore
from sijill.pprl.format.keyfiles import HOLDER_PUBLIC, fingerprint

from . import storage
from .models import Agency


class KeyRefused(ValueError):
    pass


def parse_public_key(text: str) -> tuple[str, bytes]:
    """(holder name, Ed25519 key) from the contents of a ``holder.pub`` file."""
    try:
        data = json.loads(text)
        holder, key = data["holder"], bytes.fromhex(data["ed25519"])
    except (ValueError, KeyError, TypeError):
        raise KeyRefused(_("This is not a holder's public key file (holder.pub from `sijill keys init`).")) from None
    if not isinstance(holder, str) or len(key) != 32:
        raise KeyRefused(_("This is not a holder's public key file (holder.pub from `sijill keys init`)."))
    return holder, key


def register_key(agency: Agency, text: str, *, user=None, request=None) -> Agency:
    """Record ``text`` (a holder.pub) as the agency's signing key; packages signed otherwise are refused."""
    from sijill.audit.trail import record

    holder, key = parse_public_key(text)
    if holder != agency.code:
        raise KeyRefused(_("The key belongs to holder “%(holder)s”, not to agency “%(agency)s”.")
                         % {"holder": holder, "agency": agency.code})
    previous = agency.key_fingerprint
    agency.signing_key = json.dumps({"holder": holder, "ed25519": key.hex()})
    agency.key_fingerprint = fingerprint(key)
    agency.save(update_fields=["signing_key", "key_fingerprint"])
    record("agency_key", request=request, user=user, target=agency, fingerprint=agency.key_fingerprint,
           previous=previous)
    return agency


def agency_keys(agencies: Iterable[Agency]) -> dict[str, bytes]:
    keys = {}
    for agency in agencies:
        if agency.signing_key:
            holder, key = parse_public_key(agency.signing_key)
            keys[holder] = key
    return keys


def registry_key() -> dict[str, bytes]:
    """The registry's own signing key, from its key folder (empty before `sijill keys init`)."""
    path = storage.registry_keys_dir() / HOLDER_PUBLIC
    if not path.exists():
        return {}
    holder, key = parse_public_key(path.read_text(encoding="utf-8"))
    return {holder: key}


def trust_store(agencies: Iterable[Agency] | None = None, *, registry: bool = True) -> TrustStore:
    """The keys of ``agencies`` (all active ones by default) and, with ``registry``, the registry's own."""
    if agencies is None:
        agencies = Agency.objects.filter(active=True)
    keys = agency_keys(agencies)
    if registry:
        keys.update(registry_key())
    return TrustStore(keys)
