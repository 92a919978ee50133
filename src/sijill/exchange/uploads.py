"""Receiving a package: every check a package must pass before the hub may read it, then a safe store.

Used by the upload page, the agencies' API (``sijill.api``) and ``sijill cycle upload``. Nothing uploaded is
ever displayed: a package holds only encodings and sealed payloads, and only its hash, size, record count
and the verdict are shown.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from sijill.files import create_private
from sijill.identity import IDENTITY_VERSION
from sijill.pprl.format import (
    PackageError,
    SchemaError,
    TamperedPackage,
    TrustStore,
    UnknownHolder,
    UnsignedPackage,
    open_package,
)
from sijill.pprl.format.package import MANIFEST, Manifest
from sijill.pprl.format.schema import example_schemas, load_schema

from . import storage, trust
from .archive import ArchiveError, unpack
from .models import Agency, Cycle, CycleState, Package, PackageStatus

REGISTRY = "registry"
DEFAULT_MAX_BYTES = 8 << 30


class PackageRefused(Exception):
    """A package that failed a check. ``reason`` says which, for the person who sent it."""

    def __init__(self, reason: str, package: Package | None = None):
        super().__init__(reason)
        self.reason = reason
        self.package = package


def max_bytes() -> int:
    return int(getattr(settings, "SIJILL_MAX_PACKAGE_BYTES", DEFAULT_MAX_BYTES))


def receive_package(fileobj, *, agency: Agency | None, user, cycle: Cycle | None = None,
                    request=None) -> Package:
    """Check and store an uploaded package archive (see ``archive``); ``agency`` None is the registry's own.

    Returns the accepted ``Package``; raises ``PackageRefused`` (after recording the refused package and
    auditing it) when a check fails. ``user`` None is the server's operator at the command line.
    """
    who = agency.code if agency else REGISTRY
    with tempfile.TemporaryDirectory(prefix=f"{who}-", dir=storage.incoming_dir()) as tmp:
        tmp = Path(tmp)
        received = _Received(agency=agency, user=user, cycle=cycle, request=request)
        try:
            _check_sender(agency, user)
            received.sha256, received.size = _spool(fileobj, tmp / "upload")
            try:
                unpacked = unpack(tmp / "upload", tmp / "files", max_bytes())
            except ArchiveError as e:
                raise PackageRefused(_("The file is not a usable package archive: %(problem)s") % {"problem": e}) \
                    from None
            manifest = _verify(unpacked.package, agency)
            received.manifest = manifest
            received.cycle = _cycle_of(manifest, cycle)
            _check_versions(manifest, received.cycle, agency)
            schema = _check_schema(manifest, agency, unpacked.schema)
            if agency is not None and unpacked.map_file is not None:
                raise PackageRefused(_("The archive carries the agency's map (reference to record number): it must "
                                       "never leave the agency. Send the package without it."))
            if agency is None and unpacked.map_file is None:
                raise PackageRefused(_("The registry's own package must come with its map (the .map.csv file "
                                       "written beside it), or be encoded on the server."))
        except PackageRefused as refused:
            refused.package = received.refuse(refused.reason)
            raise
        return received.accept(unpacked, schema)


class _Received:
    """What is known of an upload so far, to record it accepted or refused."""

    def __init__(self, *, agency, user, cycle, request):
        self.agency, self.user, self.cycle, self.request = agency, user, cycle, request
        self.sha256, self.size, self.manifest = "", 0, None

    def _row(self, status: str, **fields) -> Package:
        m = self.manifest
        return Package(cycle=self.cycle, agency=self.agency, status=status, sha256=self.sha256,
                       size_bytes=self.size, records=m.records if m else 0, schema_version=m.schema_hash if m else "",
                       identity_version=m.identity_version if m else "",
                       uploaded_by=self.user if getattr(self.user, "pk", None) else None, **fields)

    def refuse(self, reason: str) -> Package:
        from sijill.audit.trail import record

        package = self._row(PackageStatus.REJECTED, rejection=reason)
        package.save()
        record("package_refused", request=self.request, user=self.user, actor=None if self.user else _os_user(),
               target=package, agency=self.agency.code if self.agency else REGISTRY,
               cycle=self.cycle.code if self.cycle else "", sha256=self.sha256, reason=reason)
        return package

    def accept(self, unpacked, schema) -> Package:
        from sijill.audit.trail import record

        who = self.agency.code if self.agency else REGISTRY
        name = f"{who}-{self.sha256[:12]}.pkg"
        target = storage.packages_dir(self.cycle.code) / name
        storage.replace_dir(unpacked.package, target)
        if unpacked.map_file is not None:
            store_registry_map(unpacked.map_file, self.cycle, name)
        with transaction.atomic():
            previous = Package.objects.filter(cycle=self.cycle, agency=self.agency, status=PackageStatus.ACCEPTED,
                                              superseded=False)
            previous.update(superseded=True)
            package = self._row(PackageStatus.ACCEPTED, path=storage.relative(target), schema=schema.agency or who,
                                payload_fields=list(schema.payload))
            package.save()
        record("package_upload", request=self.request, user=self.user, actor=None if self.user else _os_user(),
               target=package, agency=who, cycle=self.cycle.code, sha256=self.sha256, records=package.records)
        return package


def store_registry_map(map_file: Path, cycle: Cycle, package_name: str) -> Path:
    """Keep the registry's map (ref -> its record id) outside the packages folder, readable by the owner."""
    folder = storage.maps_dir(cycle.code)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"{package_name}.map.csv"
    tmp = target.with_name(target.name + ".tmp")
    with open(map_file, "rb") as source, create_private(tmp, "wb", exclusive=False) as copy:
        shutil.copyfileobj(source, copy)
    os.replace(tmp, target)
    return target


def registry_map(package: Package) -> Path:
    return storage.maps_dir(package.cycle.code) / f"{Path(package.path).name}.map.csv"


def _os_user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _check_sender(agency: Agency | None, user) -> None:
    if user is None:
        return  # the server's operator, at the command line
    if agency is None:
        if not user.can("run_cycles"):
            raise PackageRefused(_("Only an analyst who runs cycles may upload the registry's own package."))
        return
    if not user.can("upload_packages") or user.agency != agency.code:
        raise PackageRefused(_("Your account does not upload for this agency."))
    if not agency.active:
        raise PackageRefused(_("This agency is not active: its packages are not accepted."))


def _spool(fileobj, path: Path) -> tuple[str, int]:
    """Copy the upload to ``path`` while hashing it; refuse it when it exceeds the size allowed."""
    digest, size, limit = hashlib.sha256(), 0, max_bytes()
    chunks = fileobj.chunks() if hasattr(fileobj, "chunks") else iter(lambda: fileobj.read(1 << 20), b"")
    with open(path, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise PackageRefused(_("The file is larger than the %(mb)d MB allowed.") % {"mb": limit >> 20})
            digest.update(chunk)
            out.write(chunk)
    if not size:
        raise PackageRefused(_("The file is empty."))
    return digest.hexdigest(), size


def _verify(folder: Path, agency: Agency | None) -> Manifest:
    """The package's manifest, once its signature is checked against the sender's registered key only."""
    who = agency.code if agency else REGISTRY
    keys = trust.agency_keys([agency]) if agency else trust.registry_key()
    if not keys:
        if agency is None:
            raise PackageRefused(_("The registry has no keys yet: open a cycle first."))
        raise PackageRefused(_("No signing key is registered for this agency; an administrator must register it "
                               "before its packages can be accepted."))
    try:
        package = open_package(folder, TrustStore(keys))
    except UnsignedPackage:
        raise PackageRefused(_("The package is not signed.")) from None
    except UnknownHolder:
        raise PackageRefused(_("The package is not signed with the key registered for %(who)s.") % {"who": who}) \
            from None
    except TamperedPackage:
        raise PackageRefused(_("The signature does not match the package: it was changed after it was signed, "
                               "or it is damaged.")) from None
    except PackageError as e:
        raise PackageRefused(_("The package cannot be read: %(error)s") % {"error": _last_part(e)}) from None
    if package.manifest.agency != who:
        raise PackageRefused(_("The package was made for agency “%(made)s”, not for %(who)s.")
                             % {"made": package.manifest.agency, "who": who})
    return package.manifest


def _last_part(error: Exception | str) -> str:
    """The reason without the temporary path the message starts with."""
    return str(error).split(": ", 1)[-1]


def _cycle_of(manifest, cycle: Cycle | None) -> Cycle:
    if cycle is not None and manifest.cycle != cycle.code:
        raise PackageRefused(_("The package was made for cycle “%(made)s”, not for cycle “%(cycle)s”: encode it "
                               "again with this cycle's keys.") % {"made": manifest.cycle, "cycle": cycle.code})
    found = cycle or Cycle.objects.filter(code=manifest.cycle).first()
    if found is None:
        raise PackageRefused(_("The package was made for cycle “%(made)s”, which the registry has not opened.")
                             % {"made": manifest.cycle})
    if found.state != CycleState.OPEN:
        raise PackageRefused(_("Cycle “%(cycle)s” no longer receives packages (it is %(state)s).")
                             % {"cycle": found.code, "state": found.get_state_display()})
    return found


def _check_versions(manifest, cycle: Cycle, agency: Agency | None) -> None:
    if manifest.identity_version != IDENTITY_VERSION:
        raise PackageRefused(_("The package was normalised with identity version %(theirs)s; this registry uses "
                               "%(ours)s. Update Sijill and encode again.")
                             % {"theirs": manifest.identity_version, "ours": IDENTITY_VERSION})
    # the other holders' packages: the sender's own one in use is the one this upload replaces, so a holder
    # that sent a package with the wrong settings can still correct it
    own = Q(agency__isnull=True) if agency is None else Q(agency=agency)
    others = Package.objects.filter(cycle=cycle, status=PackageStatus.ACCEPTED, superseded=False).exclude(own)
    for other in others:
        path = storage.absolute(other.path)
        try:
            theirs = Manifest.from_json(_json(path / MANIFEST))
        except (OSError, ValueError, PackageError):
            continue
        if theirs.encoding_hash != manifest.encoding_hash:
            raise PackageRefused(_("The package's encoding settings differ from those of the cycle's other "
                                   "packages: encode it with the cycle's default settings."))
        return


def _json(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def _check_schema(manifest, agency: Agency | None, sent: Path | None):
    """The linkage schema the package was made with (the one sent, else the agency's registered one), and
    its payload fields within the agreement in force."""
    name = agency.schema if agency else REGISTRY
    if sent is not None:
        try:
            schema = load_schema(sent)
        except UnicodeDecodeError:
            raise PackageRefused(_("The linkage schema sent with the package is not UTF-8 text.")) from None
        except SchemaError as e:
            problem = _last_part(str(e).replace(f"{sent.parent}{os.sep}", ""))  # no server path in the reason
            raise PackageRefused(_("The linkage schema sent with the package is not valid: %(error)s")
                                 % {"error": problem}) from None
        if schema.hash != manifest.schema_hash:
            raise PackageRefused(_("The linkage schema sent with the package is not the one it was encoded with."))
    else:
        known = example_schemas()
        schema = load_schema(known[name]) if name in known else None
        if schema is None or schema.hash != manifest.schema_hash:
            raise PackageRefused(_("The package was encoded with a linkage schema other than the registered "
                                   "schema “%(schema)s”: send the schema file with the package.") % {"schema": name})
    if agency is None:
        return schema
    agreement = agency.agreement_in_force()
    if agreement is None:
        raise PackageRefused(_("No data-sharing agreement with this agency is in force today."))
    allowed = set(agreement.allowed_payload_fields)
    extra = [f for f in schema.payload if f not in allowed]
    if extra:
        raise PackageRefused(_("The package carries payload fields that agreement %(agreement)s does not allow: "
                               "%(fields)s.") % {"agreement": agreement.reference, "fields": "، ".join(extra)})
    return schema
