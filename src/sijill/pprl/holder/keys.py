"""Key files: the cycle's linkage secret, the registry's payload key pair, each holder's signing key.

One directory per data holder (``sijill keys init DIR``)::

    cycle.json        public   the matching cycle's id and creation time
    linkage.secret    0600     the cycle's 256-bit linkage secret, shared by the data holders only
    holder.secret     0600     this holder's Ed25519 signing key
    holder.pub        public   its verify key (send it to the hub and the registry)
    registry.pub      public   the registry's X25519 key: payloads are sealed to it
    registry.secret   0600     the registry's X25519 private key (only in the registry's directory)
    retired/          0600     registry private keys of earlier cycles, to open old payloads
    trusted/*.pub     public   verify keys of the holders whose packages this site accepts

Secrets are read only through ``HolderKeys.load`` and ``RegistryKeys.load``, which refuse a secret file that
group or others may read. No secret is ever printed, logged or put in a ``repr``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from ..format.errors import KeyFileError
from ..format.keyfiles import (
    CYCLE_FILE,
    HOLDER_PUBLIC,
    HOLDER_SECRET,
    LINKAGE_SECRET,
    REGISTRY_PUBLIC,
    REGISTRY_SECRET,
    RETIRED,
    SECRET_SUFFIX,
    TRUSTED,
    Secret,
    fingerprint,
    hex_field,
    read_json,
    read_secret,
    write_public,
    write_secret,
)

_KDF_LABEL = b"sijill/pprl/1"


def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """HKDF (RFC 5869) with SHA-256: extract, then expand ``info`` to ``length`` bytes."""
    prk = hmac.digest(salt or bytes(32), ikm, "sha256")
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        out += block
        counter += 1
    return out[:length]


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _new_cycle_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _write_cycle(directory: Path, cycle: str | None) -> str:
    cycle = cycle or _new_cycle_id()
    write_secret(directory / LINKAGE_SECRET, {"cycle": cycle, "secret": secrets.token_bytes(32).hex()})
    write_public(directory / CYCLE_FILE, {"cycle": cycle, "created": _now()})
    return cycle


def _write_registry_pair(directory: Path) -> None:
    private = PrivateKey.generate()
    write_secret(directory / REGISTRY_SECRET, {"x25519_secret": bytes(private).hex()})
    write_public(directory / REGISTRY_PUBLIC, {"x25519": bytes(private.public_key).hex()})


def _write_signing_pair(directory: Path, holder: str) -> None:
    signing = SigningKey.generate()
    write_secret(directory / HOLDER_SECRET, {"holder": holder, "ed25519_seed": bytes(signing).hex()})
    public = {"holder": holder, "ed25519": bytes(signing.verify_key).hex()}
    write_public(directory / HOLDER_PUBLIC, public)
    write_public(directory / TRUSTED / f"{holder}.pub", public)


def _copy_cycle(source: Path, directory: Path) -> str:
    """Take the cycle's linkage secret and the registry's public key from ``source`` (a trusted channel)."""
    data = read_secret(source / LINKAGE_SECRET)
    write_secret(directory / LINKAGE_SECRET, data)
    shutil.copyfile(source / CYCLE_FILE, directory / CYCLE_FILE)
    shutil.copyfile(source / REGISTRY_PUBLIC, directory / REGISTRY_PUBLIC)
    return str(data.get("cycle"))


def _check_holder_name(holder: str) -> None:
    if not holder or not holder.replace("-", "").replace("_", "").isalnum() or not holder.isascii():
        raise KeyFileError(f"holder name {holder!r}: use ASCII letters, digits, '-' and '_' (e.g. courts)")


def init_keys(directory: Path, holder: str, *, cycle: str | None = None, join: Path | None = None) -> KeyInfo:
    """Create a holder's key directory.

    Without ``join`` this starts a new matching cycle (the registry owner's role): a new linkage secret, the
    registry's X25519 key pair, and the holder's signing key. With ``join`` (a directory received over a
    trusted channel) the holder takes that cycle's linkage secret and the registry's public key, and makes
    only its own signing key.
    """
    directory = Path(directory)
    _check_holder_name(holder)
    if directory.exists() and any(directory.glob("*" + SECRET_SUFFIX)):
        raise KeyFileError(f"{directory}: already holds keys; use `sijill keys rotate` for a new cycle")
    (directory / TRUSTED).mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    if join is None:
        _write_cycle(directory, cycle)
        _write_registry_pair(directory)
    else:
        if cycle:
            raise KeyFileError("a joining holder takes the cycle of the directory it joins; do not give --cycle")
        _copy_cycle(Path(join), directory)
        for pub in sorted((Path(join) / TRUSTED).glob("*.pub")):
            shutil.copyfile(pub, directory / TRUSTED / pub.name)
    _write_signing_pair(directory, holder)
    return key_info(directory)


def rotate_keys(directory: Path, *, cycle: str | None = None, join: Path | None = None,
                registry: bool = False, signing: bool = False) -> KeyInfo:
    """Start the next cycle: a new linkage secret (the old one is destroyed), or the one of ``join``.

    ``registry`` also replaces the registry's key pair (the old private key moves to ``retired/`` so that
    payloads of earlier cycles can still be opened); ``signing`` replaces this holder's signing key.
    """
    directory = Path(directory)
    old = HolderKeys.load(directory)  # checks that the directory is sound before touching it
    _shred(directory / LINKAGE_SECRET)
    (directory / CYCLE_FILE).unlink(missing_ok=True)
    if join is not None:
        if cycle or registry:
            raise KeyFileError("a joining holder takes the cycle and registry key of the directory it joins")
        _copy_cycle(Path(join), directory)
    else:
        _write_cycle(directory, cycle)
        if registry:
            if (directory / REGISTRY_SECRET).exists():
                retired = directory / RETIRED
                retired.mkdir(mode=0o700, exist_ok=True)
                stamp = fingerprint(bytes.fromhex(read_json(directory / REGISTRY_PUBLIC)["x25519"]))
                os.replace(directory / REGISTRY_SECRET, retired / f"registry-{stamp}{SECRET_SUFFIX}")
            (directory / REGISTRY_PUBLIC).unlink(missing_ok=True)
            _write_registry_pair(directory)
    if signing:
        _shred(directory / HOLDER_SECRET)
        _write_signing_pair(directory, old.holder)
    return key_info(directory)


def _shred(path: Path) -> None:
    """Overwrite then delete (best effort: journaling file systems and SSDs may keep copies)."""
    if path.exists():
        size = path.stat().st_size
        with open(path, "r+b") as f:
            f.write(secrets.token_bytes(size))
            f.flush()
            os.fsync(f.fileno())
        path.unlink()


def trust_key(directory: Path, public_file: Path) -> str:
    """Accept packages signed by the holder whose ``holder.pub`` is ``public_file``; returns its name."""
    data = read_json(Path(public_file))
    holder = data.get("holder")
    if not isinstance(holder, str):
        raise KeyFileError(f"{public_file}: not a holder's public key (no 'holder')")
    _check_holder_name(holder)
    hex_field(data, "ed25519", Path(public_file), 32)
    (Path(directory) / TRUSTED).mkdir(parents=True, exist_ok=True)
    write_public(Path(directory) / TRUSTED / f"{holder}.pub", {"holder": holder, "ed25519": data["ed25519"]})
    return holder


# --- loaded keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key directory: names, cycle and fingerprints, never a secret."""

    directory: Path
    holder: str | None
    cycle: str | None
    holder_key: str | None
    registry_key: str | None
    has_registry_secret: bool
    trusted: tuple[str, ...]


def key_info(directory: Path) -> KeyInfo:
    directory = Path(directory)

    def public(name: str) -> dict | None:
        p = directory / name
        return read_json(p) if p.exists() else None

    holder, registry, cycle = public(HOLDER_PUBLIC), public(REGISTRY_PUBLIC), public(CYCLE_FILE)
    return KeyInfo(
        directory=directory,
        holder=holder.get("holder") if holder else None,
        cycle=cycle.get("cycle") if cycle else None,
        holder_key=fingerprint(bytes.fromhex(holder["ed25519"])) if holder else None,
        registry_key=fingerprint(bytes.fromhex(registry["x25519"])) if registry else None,
        has_registry_secret=(directory / REGISTRY_SECRET).exists(),
        trusted=tuple(sorted(p.stem for p in (directory / TRUSTED).glob("*.pub"))),
    )


@dataclass(frozen=True)
class HolderKeys:
    """A data holder's keys for one cycle: derives per-field subkeys and signs packages.

    Only the data holder's own code (``encode``) loads this. It is never given to the hub.
    """

    holder: str
    cycle: str
    registry_public: bytes
    _linkage: Secret = field(repr=False)
    _signing: Secret = field(repr=False)

    @classmethod
    def load(cls, directory: Path) -> HolderKeys:
        directory = Path(directory)
        linkage_path, signing_path = directory / LINKAGE_SECRET, directory / HOLDER_SECRET
        linkage, signing = read_secret(linkage_path), read_secret(signing_path)
        registry_path = directory / REGISTRY_PUBLIC
        registry = read_json(registry_path)
        cycle, holder = linkage.get("cycle"), signing.get("holder")
        if not isinstance(cycle, str) or not isinstance(holder, str):
            raise KeyFileError(f"{directory}: key files lack the cycle id or the holder name")
        return cls(holder=holder, cycle=cycle, registry_public=hex_field(registry, "x25519", registry_path, 32),
                   _linkage=Secret(hex_field(linkage, "secret", linkage_path, 32)),
                   _signing=Secret(hex_field(signing, "ed25519_seed", signing_path, 32)))

    def subkey(self, purpose: str) -> Secret:
        """The 256-bit key for one purpose (a field's token, a Bloom filter...), bound to the cycle."""
        info = b"/".join([_KDF_LABEL, self.cycle.encode(), purpose.encode()])
        return Secret(hkdf_sha256(self._linkage.reveal(), info))

    @property
    def verify_key(self) -> bytes:
        return bytes(SigningKey(self._signing.reveal()).verify_key)

    def sign(self, message: bytes) -> bytes:
        return SigningKey(self._signing.reveal()).sign(message).signature


