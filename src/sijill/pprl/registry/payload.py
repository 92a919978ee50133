"""Opening payloads: the registry's private key opens a package's data key, then the payloads of its hits."""

from __future__ import annotations

import json

from nacl import bindings
from nacl.exceptions import CryptoError

from ..format.errors import PayloadError
from .keys import RegistryKeys

NONCE = bindings.crypto_secretbox_NONCEBYTES


class PayloadOpener:
    """The registry's side: open payloads of hits with the registry's private key."""

    def __init__(self, keys: RegistryKeys):
        self._keys = keys
        self._data_keys: dict[bytes, bytes] = {}

    def open(self, sealed_key: bytes, payload: bytes, *, agency: str, ref: str) -> dict:
        """The payload's record as a dict (``id``, ``f`` fields, or ``dummy``); checks agency and reference."""
        key = self._data_keys.get(sealed_key)
        if key is None:
            key = self._data_keys[sealed_key] = self._keys.unseal(sealed_key)
        try:
            body = json.loads(bindings.crypto_secretbox_open_easy(payload[NONCE:], payload[:NONCE], key))
        except (CryptoError, ValueError):
            raise PayloadError(f"payload of {ref} is damaged or was not sealed with its package's key") from None
        if body.get("a") != agency or body.get("r") != ref:
            raise PayloadError(f"payload of {ref} belongs to another record ({body.get('a')}/{body.get('r')})")
        return body
