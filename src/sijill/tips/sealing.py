"""The tips key: callers' identities are sealed (X25519 sealed boxes) to its public key, which anyone recording
a tip may use; only the private key opens them, and it lives in one file outside the database and the
repository: ``SIJILL_TIPS_KEY_FILE``, or ``SIJILL_DATA_DIR/keys/tips.key``.

The public key and its fingerprint are also kept in the database (``TipKey``), so that tips can still be
sealed on a server that does not hold the private key (the key may live only on the tip officers' server).

Rotation (``rotate_key``, ``sijill tips rotate-key``): a new key seals the tips from then on; the old private
key is kept beside the current one as ``tips.key.<fingerprint>`` (0600), so every older tip still opens with the
key it was sealed to.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.db import router, transaction
from nacl.encoding import HexEncoder
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from sijill.files import create_private

from .models import TipKey

KEY_FILE_SETTING = "SIJILL_TIPS_KEY_FILE"


class KeyUnavailable(RuntimeError):
    """The private key is not on this server (or is not the one a tip was sealed with)."""


def key_path() -> Path:
    configured = (getattr(settings, "TIPS_KEY_FILE", "") or "").strip()
    return Path(configured) if configured else Path(settings.DATA_DIR) / "keys" / "tips.key"


def fingerprint(public: PublicKey) -> str:
    return hashlib.sha256(bytes(public)).hexdigest()[:16]


def init_key(path: Path | None = None) -> tuple[Path, str, bool]:
    """Create the private key file (0600, in a 0700 folder) unless it exists, and register its public key.
    Returns (path, fingerprint, created)."""
    path = path or key_path()
    created = not path.exists()
    if created:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        secret = PrivateKey.generate()
        with create_private(path) as f:
            f.write(secret.encode(HexEncoder).decode() + "\n")
    public = _load_private(path).public_key
    _register(public)
    return path, fingerprint(public), created


def current_public_key() -> tuple[PublicKey, str]:
    """The key new tips are sealed to; created on first use when there is none yet."""
    key = TipKey.objects.filter(active=True).order_by("-created_at", "-pk").first()
    if key is None:
        init_key()
        key = TipKey.objects.filter(active=True).order_by("-created_at", "-pk").first()
    return PublicKey(key.public_key.encode(), encoder=HexEncoder), key.fingerprint


def seal(details: dict) -> tuple[bytes, str]:
    """The ciphertext of ``details`` (JSON) and the fingerprint of the key it is sealed to."""
    public, print_ = current_public_key()
    plain = json.dumps(details, ensure_ascii=False, sort_keys=True).encode()
    return SealedBox(public).encrypt(plain), print_


def retired_path(print_: str) -> Path:
    """Where a rotated-out private key is kept, beside the current one."""
    return key_path().with_name(f"{key_path().name}.{print_}")


def rotate_key() -> tuple[str, str]:
    """A new tips key for new tips; the current one is kept as a retired key. Returns (old, new) fingerprints."""
    path = key_path()
    if not path.exists():
        raise KeyUnavailable("the tips key is not on this server: nothing to rotate (sijill tips init-key)")
    old = fingerprint(_load_private(path).public_key)
    retired = retired_path(old)
    if not retired.exists():
        with create_private(retired) as f:
            f.write(path.read_text(encoding="ascii"))
    secret = PrivateKey.generate()
    with create_private(path, exclusive=False) as f:
        f.write(secret.encode(HexEncoder).decode() + "\n")
    _register(secret.public_key)
    return old, fingerprint(secret.public_key)


def unseal(ciphertext: bytes, sealed_with: str) -> dict:
    path = key_path()
    if not path.exists():
        raise KeyUnavailable("the tips key is not on this server")
    secret = _load_private(path)
    if fingerprint(secret.public_key) != sealed_with and retired_path(sealed_with).exists():
        secret = _load_private(retired_path(sealed_with))  # a tip sealed before a rotation
    if fingerprint(secret.public_key) != sealed_with:
        raise KeyUnavailable(f"this tip was sealed with key {sealed_with}, not with the key on this server")
    try:
        return json.loads(SealedBox(secret).decrypt(bytes(ciphertext)))
    except CryptoError as e:
        raise KeyUnavailable("the sealed details cannot be opened with this key") from e


def _load_private(path: Path) -> PrivateKey:
    text = path.read_text(encoding="ascii").strip()
    try:
        return PrivateKey(text.encode(), encoder=HexEncoder)
    except (ValueError, TypeError) as e:
        raise KeyUnavailable(f"{path} is not a tips key file") from e


def _register(public: PublicKey) -> None:
    print_ = fingerprint(public)
    with transaction.atomic(using=router.db_for_write(TipKey)):
        if TipKey.objects.filter(fingerprint=print_, active=True).exists():
            return
        TipKey.objects.filter(active=True).update(active=False)
        TipKey.objects.update_or_create(fingerprint=print_, defaults={
            "public_key": public.encode(HexEncoder).decode(), "active": True})
