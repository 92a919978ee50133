"""The registry's X25519 private keys: only the registry's own key folder holds them, only it opens payloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from ..format.errors import KeyFileError, PayloadError
from ..format.keyfiles import REGISTRY_SECRET, RETIRED, SECRET_SUFFIX, Secret, hex_field, read_secret


@dataclass(frozen=True)
class RegistryKeys:
    """The registry's X25519 private keys (current first, then retired ones) for opening payloads."""

    _private: tuple[Secret, ...] = field(repr=False)

    @classmethod
    def load(cls, directory: Path) -> RegistryKeys:
        directory = Path(directory)
        paths = [directory / REGISTRY_SECRET, *sorted((directory / RETIRED).glob("*" + SECRET_SUFFIX))]
        if not paths[0].exists():
            raise KeyFileError(f"{paths[0]}: missing; only the registry's key directory can open payloads")
        keys = tuple(Secret(hex_field(read_secret(p), "x25519_secret", p, 32)) for p in paths if p.exists())
        return cls(keys)

    def unseal(self, sealed: bytes) -> bytes:
        """Open a sealed box with the current registry key, else with a retired one."""
        for secret in self._private:
            try:
                return SealedBox(PrivateKey(secret.reveal())).decrypt(sealed)
            except CryptoError:
                continue
        raise PayloadError("no registry private key in this directory opens the payload key "
                           "(sealed for another registry, or for a key that was not kept)")
