"""The registry's own signing keys: made on first use, rotated by `sijill api key rotate`, published at
/.well-known/jwks.json (retired keys stay published for ``KEPT_AFTER_RETIREMENT`` so that answers signed
before a rotation still verify)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from nacl.signing import SigningKey

from sijill.files import create_private

from . import signing
from .models import RegistryKey

KEPT_AFTER_RETIREMENT = dt.timedelta(days=30)


def folder() -> Path:
    return Path(settings.DATA_DIR) / "api-signing"


def _seed_file(kid: str) -> Path:
    return folder() / f"{kid}.key"


def _create() -> tuple[RegistryKey, SigningKey]:
    key = SigningKey.generate()
    public = key.verify_key.encode()
    kid = signing.thumbprint(public)
    folder().mkdir(parents=True, exist_ok=True, mode=0o700)
    with create_private(_seed_file(kid)) as f:
        f.write(key.encode().hex())
    return RegistryKey.objects.create(kid=kid, public_key=public.hex()), key


def current() -> tuple[str, SigningKey]:
    """(key id, signing key) of the key that signs now; made on first use."""
    for row in RegistryKey.objects.filter(retired_at__isnull=True):
        path = _seed_file(row.kid)
        if path.is_file():  # a key whose file is not on this server cannot sign here
            return row.kid, SigningKey(bytes.fromhex(path.read_text().strip()))
    row, key = _create()
    return row.kid, key


def rotate() -> str:
    """A new signing key; the others are retired (still published for a while). Returns the new key id."""
    with transaction.atomic():
        RegistryKey.objects.filter(retired_at__isnull=True).update(retired_at=timezone.now())
        row, _ = _create()
    return row.kid


def published() -> list[RegistryKey]:
    cutoff = timezone.now() - KEPT_AFTER_RETIREMENT
    return [k for k in RegistryKey.objects.all() if k.retired_at is None or k.retired_at > cutoff]


def jwks() -> dict:
    if not RegistryKey.objects.filter(retired_at__isnull=True).exists():
        current()
    return {"keys": [signing.jwk(bytes.fromhex(k.public_key)) for k in published()]}


def sign_body(header: dict, message) -> str:
    """The registry's DCI signature of an answer."""
    kid, key = current()
    return signing.make(header, message, key, sender_id=settings.API_RECEIVER_ID, key_id=kid)
