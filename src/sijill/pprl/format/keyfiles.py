"""Key files as files: their names, their permissions, the ``Secret`` wrapper, and the trust store.

Shared by the holder's keys (``pprl.holder.keys``), the registry's (``pprl.registry.keys``) and the hub, which
reads only public keys (``TrustStore``). No function here derives, signs or opens anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from nacl.signing import VerifyKey

from sijill.files import create_private

from .errors import KeyFileError

CYCLE_FILE = "cycle.json"
LINKAGE_SECRET = "linkage.secret"
HOLDER_SECRET = "holder.secret"
HOLDER_PUBLIC = "holder.pub"
REGISTRY_PUBLIC = "registry.pub"
REGISTRY_SECRET = "registry.secret"
RETIRED = "retired"
TRUSTED = "trusted"
SECRET_SUFFIX = ".secret"


class Secret:
    """Bytes that never show themselves: ``repr`` and ``str`` are redacted; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes):
        self._value = bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__

    def __reduce__(self):  # pickled only to hand a holder's own worker processes their keys
        return (Secret, (self._value,))


def fingerprint(public_key: bytes) -> str:
    """A short, printable name for a public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


# --- files ------------------------------------------------------------------------------------------


def write_secret(path: Path, data: dict) -> None:
    """Create ``path`` readable by its owner only; never overwrite a secret by accident."""
    with create_private(path) as f:
        json.dump(data, f)


def write_public(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise KeyFileError(f"{path}: missing (create the keys with `sijill keys init`)") from None
    except (OSError, ValueError) as e:
        raise KeyFileError(f"{path}: not a Sijill key file ({e.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise KeyFileError(f"{path}: not a Sijill key file")
    return data


def check_permissions(path: Path) -> None:
    """Refuse a secret file that anyone but its owner may read or write."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        raise KeyFileError(f"{path}: missing (create the keys with `sijill keys init`)") from None
    if os.name == "posix" and mode & 0o077:
        raise KeyFileError(f"{path}: permissions {mode:04o} are too open for a secret; "
                           f"run `chmod 600 {path}` and check who may have copied it")


def read_secret(path: Path) -> dict:
    check_permissions(path)
    return read_json(path)


def hex_field(data: dict, name: str, path: Path, size: int) -> bytes:
    try:
        value = bytes.fromhex(data[name])
    except (KeyError, TypeError, ValueError):
        raise KeyFileError(f"{path}: field {name!r} is missing or not hexadecimal") from None
    if len(value) != size:
        raise KeyFileError(f"{path}: field {name!r} must hold {size} bytes")
    return value


class TrustStore:
    """Verify keys of the data holders whose packages are accepted. Public keys only: the hub's view."""

    def __init__(self, verify_keys: dict[str, bytes]):
        self._keys = {holder: VerifyKey(key) for holder, key in verify_keys.items()}

    @classmethod
    def from_dir(cls, directory: Path) -> TrustStore:
        """Read ``*.pub`` files from ``directory`` (or from its ``trusted/`` folder when it has one)."""
        directory = Path(directory)
        if (directory / TRUSTED).is_dir():
            directory = directory / TRUSTED
        keys = {}
        for path in sorted(directory.glob("*.pub")):
            data = read_json(path)
            if isinstance(data.get("holder"), str) and "ed25519" in data:
                keys[data["holder"]] = hex_field(data, "ed25519", path, 32)
        if not keys:
            raise KeyFileError(f"{directory}: no trusted holder keys (*.pub with a 'holder' and an 'ed25519')")
        return cls(keys)

    def holders(self) -> tuple[str, ...]:
        return tuple(sorted(self._keys))

    def verify(self, holder: str, public_key: bytes, message: bytes, signature: bytes) -> None:
        """Raise ``KeyError`` for an unknown holder or key, ``CryptoError`` for a bad signature."""
        key = self._keys.get(holder)
        if key is None or bytes(key) != public_key:
            raise KeyError(holder)
        key.verify(message, signature)

