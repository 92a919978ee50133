"""Signed checkpoints of the audit chain, kept outside the database: they catch truncation and wiping.

The hash chain shows an entry changed or removed from the middle, but whoever can write to the database can
also cut the tail and move the head back, or empty the table: the shorter chain is still a valid chain. A
checkpoint records the chain's length and head hash at a moment, signed with the server's checkpoint key, in a
file outside the database (``SIJILL_DATA_DIR/audit/checkpoints.jsonl``) that auditors copy
(``sijill audit checkpoints --out``). ``sijill audit verify`` then checks that the chain still holds each
checkpoint's entry with its hash: a chain cut below a checkpoint, or wiped, fails.

The key (``SIJILL_DATA_DIR/keys/audit-checkpoint.key``, 0600) signs; its public half is written in every
checkpoint and should be kept by the auditors with their copies, so a forged set of checkpoints (made with
another key) is seen.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from sijill.files import create_private

from .models import AuditEntry, AuditHead
from .trail import GENESIS

KEY_FILE = "audit-checkpoint.key"
FILE = "checkpoints.jsonl"


def checkpoints_path() -> Path:
    return Path(settings.DATA_DIR) / "audit" / FILE


def _signing_key() -> SigningKey:
    path = Path(settings.DATA_DIR) / "keys" / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with create_private(path) as f:
            json.dump({"ed25519_seed": SigningKey.generate().encode().hex()}, f)
    return SigningKey(bytes.fromhex(json.loads(path.read_text(encoding="utf-8"))["ed25519_seed"]))


def _body(seq: int, head_hash: str, at: str) -> bytes:
    return json.dumps({"seq": seq, "hash": head_hash, "at": at}, sort_keys=True, separators=(",", ":")).encode()


def write_checkpoint() -> dict:
    """Append a signed checkpoint of the chain's head to the checkpoint file; returns it."""
    head = AuditHead.objects.filter(pk=1).first()
    seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    key = _signing_key()
    line = {"seq": seq, "hash": head_hash, "at": at, "key": key.verify_key.encode().hex(),
            "signature": key.sign(_body(seq, head_hash, at)).signature.hex()}
    path = checkpoints_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")
    return line


def read_checkpoints(paths: list[Path] | None = None) -> list[dict]:
    """The checkpoints in ``paths`` (default: the server's own file); a missing server file gives none."""
    lines = []
    for path in paths or [checkpoints_path()]:
        if not Path(path).exists():
            if paths:
                raise FileNotFoundError(f"{path}: no such checkpoint file")
            continue
        for number, text in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if text.strip():
                try:
                    lines.append({**json.loads(text), "_where": f"{path}:{number}"})
                except ValueError:
                    lines.append({"_where": f"{path}:{number}", "_bad": True})
    return lines


@dataclass
class CheckpointCheck:
    ok: bool
    checked: int
    reason: str = ""


def check_checkpoints(checkpoints: list[dict], trusted_key: str | None = None) -> CheckpointCheck:
    """Each checkpoint is well signed (by ``trusted_key`` when given) and the chain still holds its entry."""
    for c in checkpoints:
        where = c["_where"]
        try:
            key = VerifyKey(bytes.fromhex(c["key"]))
            key.verify(_body(int(c["seq"]), c["hash"], c["at"]), bytes.fromhex(c["signature"]))
        except (KeyError, ValueError, TypeError, BadSignatureError):
            return CheckpointCheck(False, 0, f"checkpoint {where} is not validly signed: it was changed or forged")
        if trusted_key and c["key"] != trusted_key:
            return CheckpointCheck(False, 0, f"checkpoint {where} is signed by another key than the auditors' one")
        seq = int(c["seq"])
        if seq == 0:
            continue
        entry = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if entry is None:
            return CheckpointCheck(False, 0, f"entry #{seq}, recorded by checkpoint {where} at {c['at']}, is gone: "
                                   "the trail was cut short or wiped")
        if entry != c["hash"]:
            return CheckpointCheck(False, 0, f"entry #{seq} is not the one checkpoint {where} recorded at "
                                   f"{c['at']}: the trail was rewritten from there")
    return CheckpointCheck(True, len(checkpoints))
