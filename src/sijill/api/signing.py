"""The DCI signature string, as the spec's ``MsgSignature`` writes it, and the registry's own signing keys.

    Signature: namespace="spdci", kidId="{sender_id}|{key_id}|ed25519", algorithm="ed25519",
    created="1606970629", expires="1607030629", headers="(created) (expires) digest", signature="..."

The signed content follows the HTTP-signature scheme the DCI header borrows (the Beckn/ONDC convention):

    (created): {created}
    (expires): {expires}
    digest: BLAKE-512={base64 BLAKE2b-512 of the canonical JSON of {"header": ..., "message": ...}}

signed with Ed25519, the signature in base64. ``key_id`` is the RFC 7638 thumbprint of the public key as a
JWK (``kty`` OKP, ``crv`` Ed25519), so the key a signature names is found in the signer's JWKS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from .envelope_bytes import canonical

NAMESPACE = "spdci"
ALGORITHM = "ed25519"
HEADERS = "(created) (expires) digest"
LIFETIME_SECONDS = 600  # how long a signature the registry makes is valid
MAX_LIFETIME_SECONDS = 24 * 3600  # a signature valid longer than this is refused: it would be replayable
_PARAM = re.compile(r'([A-Za-z]+)\s*=\s*"([^"]*)"?')


class SignatureInvalid(ValueError):
    """A DCI signature string that cannot be read or does not verify; the text says why."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def thumbprint(public_key: bytes) -> str:
    """RFC 7638 thumbprint of an Ed25519 public key: the key id."""
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": b64url(public_key)}, sort_keys=True,
                         separators=(",", ":"))
    return b64url(hashlib.sha256(members.encode("ascii")).digest())


def jwk(public_key: bytes) -> dict:
    """The public key as a JWK (RFC 8037), for /.well-known/jwks.json."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_key), "kid": thumbprint(public_key), "use": "sig",
            "alg": "EdDSA"}


def digest(header: dict, message) -> str:
    return base64.b64encode(hashlib.blake2b(canonical(header, message), digest_size=64).digest()).decode("ascii")


def signing_string(created: int, expires: int, body_digest: str) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={body_digest}".encode()


def make(header: dict, message, key: SigningKey, *, sender_id: str, key_id: str, now: int | None = None,
         lifetime: int = LIFETIME_SECONDS) -> str:
    """The signature string for an envelope's header and message."""
    created = int(time.time() if now is None else now)
    expires = created + lifetime
    raw = key.sign(signing_string(created, expires, digest(header, message))).signature
    return (f'Signature: namespace="{NAMESPACE}", kidId="{sender_id}|{key_id}|{ALGORITHM}", '
            f'algorithm="{ALGORITHM}", created="{created}", expires="{expires}", headers="{HEADERS}", '
            f'signature="{base64.b64encode(raw).decode("ascii")}"')


@dataclass(frozen=True)
class Parsed:
    sender_id: str
    key_id: str
    created: int
    expires: int
    signature: bytes


def is_dci(text) -> bool:
    """A DCI signature string (else the legacy bare base64 signature of docs/api.md)."""
    return isinstance(text, str) and "kidId=" in text


def parse(text: str) -> Parsed:
    params = {k: v for k, v in _PARAM.findall(text.removeprefix("Signature:").strip())}
    try:
        sender_id, key_id, algorithm = params["kidId"].split("|")
        created, expires = int(params["created"]), int(params["expires"])
        raw = base64.b64decode(params["signature"], validate=True)
    except (KeyError, ValueError) as e:
        raise SignatureInvalid("The signature string cannot be read: it needs kidId=\"sender|key id|ed25519\", "
                               "created, expires and signature (see docs/api.md).") from e
    if algorithm.lower() != ALGORITHM or params.get("algorithm", ALGORITHM).lower() != ALGORITHM:
        raise SignatureInvalid(f"Only the {ALGORITHM} algorithm is supported.")
    if params.get("headers", HEADERS).split() != HEADERS.split():
        raise SignatureInvalid(f'The signed headers must be "{HEADERS}".')
    return Parsed(sender_id, key_id, created, expires, raw)


def check(parsed: Parsed, header: dict, message, public_key: bytes, *, now: int | None = None,
          skew: int = 300) -> None:
    """Raise ``SignatureInvalid`` unless ``parsed`` is a valid, current signature of header and message."""
    now = int(time.time() if now is None else now)
    if parsed.key_id != thumbprint(public_key):
        raise SignatureInvalid(f"Key id “{parsed.key_id}” is not the sender's registered key "
                               f"({thumbprint(public_key)}).")
    if parsed.created > now + skew or parsed.expires < now - skew:
        raise SignatureInvalid("The signature is not valid now (created in the future, or expired).")
    if parsed.expires < parsed.created or parsed.expires - parsed.created > MAX_LIFETIME_SECONDS:
        raise SignatureInvalid("The signature's validity (expires - created) must be positive and at most a day.")
    try:
        VerifyKey(public_key).verify(signing_string(parsed.created, parsed.expires, digest(header, message)),
                                     parsed.signature)
    except (BadSignatureError, ValueError):
        raise SignatureInvalid("The signature does not match the header and message: they were changed after "
                               "signing, or signed with another key.") from None
