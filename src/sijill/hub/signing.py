"""Signed requests between the hub and its callers: each request is signed with the caller's Ed25519 key.

The signed bytes are the method, the path, the time, a nonce and the SHA-256 of the body (sent in its own
header, so a large upload is checked before it is read, and its body against the hash while it is read), one
per line. The hub checks the signature with the key registered for the caller, the time within a few minutes
of its own clock and a nonce never seen before from that caller: a request cannot be replayed or altered.
"""

from __future__ import annotations

import hashlib

HOLDER = "X-Sijill-Holder"
TIME = "X-Sijill-Time"
NONCE = "X-Sijill-Nonce"
SIGNATURE = "X-Sijill-Signature"
CONTENT_SHA256 = "X-Sijill-Content-SHA256"
CLOCK_SKEW_SECONDS = 300


def signed_bytes(method: str, path: str, when: int, nonce: str, body_sha256: str) -> bytes:
    """What a caller signs for one request."""
    return "\n".join(["sijill-hub/1", method.upper(), path, str(int(when)), nonce, body_sha256]).encode("utf-8")


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
