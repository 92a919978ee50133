"""Receiving a package at the hub: every check a package must pass before the hub may read it, then a safe store.

The same checks the registry made when packages came to it: the sender takes part in the cycle, the file is a
package archive, it is signed by the sender's registered key and unchanged, it was made for this cycle with the
cycle's identity version and encoding settings, with the sender's registered linkage schema (or the one sent
with it), and its payload carries only the fields the sender's agreement allows. No map travels: a holder's
map (reference -> record number) never leaves it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from sijill.pprl.format import (
    PackageError,
    SchemaError,
    TamperedPackage,
    TrustStore,
    UnknownHolder,
    UnsignedPackage,
    open_package,
)
from sijill.pprl.format.archive import ArchiveError, unpack
from sijill.pprl.format.package import MANIFEST, Manifest
from sijill.pprl.format.schema import example_schemas, load_schema

from .cycles import OPEN, cycle_row, package_dict, participant
from .errors import Refused
from .store import Holder, HubStore, loads, now, safe


class PackageRefused(Refused):
    def __init__(self, reason: str):
        super().__init__(422, "package.refused", reason)


def receive(store: HubStore, sender: Holder, code: str, body: BinaryIO, length: int, max_bytes: int,
            signed_sha256: str) -> dict:
    """Check and keep the package archive in ``body`` (whose SHA-256 the sender signed); the verdict is recorded
    either way."""
    cycle = cycle_row(store, code)
    is_registry = sender.role == "registry"
    if is_registry and cycle["registry"] != sender.name:
        raise Refused(403, "cycle.forbidden", "This cycle belongs to another registry.")
    part = None if is_registry else participant(store, code, sender.name)
    if not is_registry and part is None:
        raise Refused(403, "cycle.forbidden", f"“{sender.name}” takes no part in cycle “{code}”.")
    with tempfile.TemporaryDirectory(prefix=f"{safe(sender.name)}-", dir=store.folder("incoming")) as tmp:
        tmp = Path(tmp)
        sha256, size = "", 0
        try:
            sha256, size = _spool(body, length, tmp / "upload", max_bytes)
            if sha256 != signed_sha256:
                raise Refused(400, "request.sha256", "The body is not the one the request's signature names.")
            if cycle["state"] != OPEN:
                raise PackageRefused(f"Cycle “{code}” no longer receives packages (it is {cycle['state']}).")
            try:
                unpacked = unpack(tmp / "upload", tmp / "files", max_bytes)
            except ArchiveError as e:
                raise PackageRefused(f"The file is not a usable package archive: {e}") from None
            if unpacked.map_file is not None:
                raise PackageRefused("The archive carries a map (reference to record number): it must never leave "
                                     "its holder. Send the package without it.")
            manifest = _verify(unpacked.package, sender)
            _check_cycle(store, manifest, cycle, sender)
            payload = _check_schema(manifest, sender, part, unpacked.schema)
        except PackageRefused as refused:
            _record(store, code, sender, "rejected", refused.message, sha256, size, 0, "")
            store.event(sender.name, "package_refused", cycle=code, sha256=sha256, reason=refused.message)
            raise
        target = store.folder("packages", safe(code)) / f"{sender.name}-{sha256[:12]}.pkg"
        shutil.rmtree(target, ignore_errors=True)
        os.replace(unpacked.package, target)
    row = _record(store, code, sender, "accepted", "", sha256, size, manifest.records,
                  str(target.relative_to(store.data_dir)), supersede=True)
    store.event(sender.name, "package_accepted", cycle=code, sha256=sha256, records=manifest.records,
                payload_fields=payload)
    return row


def _record(store: HubStore, code: str, sender: Holder, status: str, reason: str, sha256: str, size: int,
            records: int, path: str, *, supersede: bool = False) -> dict:
    """The package's row; an accepted one replaces the sender's earlier package, whose files are deleted."""
    with store.db() as db:
        old = []
        if supersede:
            old = db.execute("SELECT id, path FROM packages WHERE cycle = ? AND holder = ? AND status = 'accepted' "
                             "AND superseded = 0", (code, sender.name)).fetchall()
            db.execute("UPDATE packages SET superseded = 1, deleted_at = ? WHERE cycle = ? AND holder = ? AND "
                       "status = 'accepted' AND superseded = 0", (now(), code, sender.name))
        cursor = db.execute("INSERT INTO packages (cycle, holder, status, reason, sha256, size_bytes, records, path, "
                            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (code, sender.name, status, reason, sha256, size, records, path, now()))
        row = db.execute("SELECT * FROM packages WHERE id = ?", (cursor.lastrowid,)).fetchone()
    for earlier in old:
        if earlier["path"] and earlier["path"] != path:
            shutil.rmtree(store.data_dir / earlier["path"], ignore_errors=True)
    return package_dict(row)


def _spool(body: BinaryIO, length: int, path: Path, max_bytes: int) -> tuple[str, int]:
    if length > max_bytes:
        raise PackageRefused(f"The file is larger than the {max_bytes >> 20} MB allowed.")
    digest, size = hashlib.sha256(), 0
    with open(path, "wb") as out:
        while size < length:
            chunk = body.read(min(1 << 20, length - size))
            if not chunk:
                break
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    if not size:
        raise PackageRefused("The file is empty.")
    return digest.hexdigest(), size


def _verify(folder: Path, sender: Holder) -> Manifest:
    try:
        package = open_package(folder, TrustStore({sender.name: sender.ed25519}))
    except UnsignedPackage:
        raise PackageRefused("The package is not signed.") from None
    except UnknownHolder:
        raise PackageRefused(f"The package is not signed with the key registered for {sender.name}.") from None
    except TamperedPackage:
        raise PackageRefused("The signature does not match the package: it was changed after it was signed, or "
                             "it is damaged.") from None
    except PackageError as e:
        raise PackageRefused(f"The package cannot be read: {_last_part(e)}") from None
    if package.manifest.agency != sender.name:
        raise PackageRefused(f"The package was made for agency “{package.manifest.agency}”, not for {sender.name}.")
    return package.manifest


def _last_part(error: Exception | str) -> str:
    """The reason without the temporary path it starts with."""
    return str(error).split(": ", 1)[-1]


def _check_cycle(store: HubStore, manifest: Manifest, cycle, sender: Holder) -> None:
    if manifest.cycle != cycle["code"]:
        raise PackageRefused(f"The package was made for cycle “{manifest.cycle}”, not for cycle “{cycle['code']}”: "
                             "encode it again with this cycle's keys.")
    if manifest.identity_version != cycle["identity_version"]:
        raise PackageRefused(f"The package was normalised with identity version {manifest.identity_version}; this "
                             f"cycle uses {cycle['identity_version']}. Update Sijill and encode again.")
    with store.db() as db:  # the other holders' packages in use (the sender's own is the one being replaced)
        others = db.execute("SELECT path FROM packages WHERE cycle = ? AND status = 'accepted' AND superseded = 0 "
                            "AND holder != ? AND deleted_at IS NULL", (cycle["code"], sender.name)).fetchall()
    for other in others:
        try:
            theirs = Manifest.from_json(loads((store.data_dir / other["path"] / MANIFEST).read_text("utf-8")))
        except (OSError, ValueError, PackageError):
            continue
        if theirs.encoding_hash != manifest.encoding_hash:
            raise PackageRefused("The package's encoding settings differ from those of the cycle's other packages: "
                                 "encode it with the cycle's default settings.")
        return


def _check_schema(manifest: Manifest, sender: Holder, part, sent: Path | None) -> list[str]:
    """The payload fields of the linkage schema the package was made with, within the sender's agreement."""
    name = part["schema"] if part is not None else sender.name
    if sent is not None:
        try:
            schema = load_schema(sent)
        except UnicodeDecodeError:
            raise PackageRefused("The linkage schema sent with the package is not UTF-8 text.") from None
        except SchemaError as e:
            problem = _last_part(str(e).replace(f"{sent.parent}{os.sep}", ""))
            raise PackageRefused(f"The linkage schema sent with the package is not valid: {problem}") from None
        if schema.hash != manifest.schema_hash:
            raise PackageRefused("The linkage schema sent with the package is not the one it was encoded with.")
    else:
        known = example_schemas()
        schema = load_schema(known[name]) if name in known else None
        if schema is None or schema.hash != manifest.schema_hash:
            raise PackageRefused(f"The package was encoded with a linkage schema other than the registered schema "
                                 f"“{name}”: send the schema file with the package.")
    if part is None:
        return list(schema.payload)
    allowed = set(loads(part["payload_fields"]) or [])
    extra = [f for f in schema.payload if f not in allowed]
    if extra:
        raise PackageRefused(f"The package carries payload fields that {sender.name}'s agreement does not allow: "
                             f"{', '.join(extra)}.")
    return list(schema.payload)
