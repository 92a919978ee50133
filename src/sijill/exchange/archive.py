"""A package travels as one file: a tar (plain or compressed) or zip archive of the package folder made by
``sijill encode``, optionally with the linkage schema the holder used beside it.

::

    courts.pkg/manifest.json
    courts.pkg/manifest.sig
    courts.pkg/encodings.parquet
    courts.yaml                   optional: the linkage schema (its hash must be the manifest's)

Unpacking is strict: regular files only, no absolute path and no ``..``, a bounded number of members and
bytes. The local map (``*.map.csv``) of a partner never travels: the partner's record id is sealed inside
each record's payload, which only the registry opens, and only for hits.
"""

from __future__ import annotations

import errno
import lzma
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.utils.translation import gettext as _

from sijill.pprl.format.package import ENCODINGS, MANIFEST, SIGNATURE

MAX_MEMBERS = 8
# A package is Parquet, compressed already: its archive never unpacks to many times its own size. A bomb does,
# so the bound is this ratio of the archive's size (plus room for a small package), within the server's limit.
MAX_RATIO = 20
SMALL_PACKAGE = 16 << 20
PACKAGE_FILES = (MANIFEST, SIGNATURE, ENCODINGS)
# what a damaged, cut short, encrypted or oddly compressed archive raises while it is read
_DAMAGED = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, NotImplementedError,
            RuntimeError)
_BAD_LAYOUT = (errno.EEXIST, errno.ENOTDIR, errno.EISDIR)  # a member named both as a file and as a folder


class ArchiveError(ValueError):
    pass


@dataclass(frozen=True)
class Unpacked:
    package: Path  # the folder holding manifest.json
    schema: Path | None  # a *.yaml beside it, if the holder sent one
    map_file: Path | None  # a *.map.csv: accepted for the registry's own package only


def unpack(archive: Path, into: Path, max_bytes: int) -> Unpacked:
    """Unpack ``archive`` (tar or zip) into the empty folder ``into``, refusing it as soon as what it unpacks
    to passes ``max_bytes`` or ``MAX_RATIO`` times its own size."""
    max_bytes = min(max_bytes, Path(archive).stat().st_size * MAX_RATIO + SMALL_PACKAGE)
    try:
        _unpack_members(archive, into, max_bytes)
    except _DAMAGED:
        raise ArchiveError(_("it is damaged or cut short.")) from None
    except OSError as e:  # gzip and bz2 report bad data as an OSError without errno; the server's disk has one
        if e.errno is not None and e.errno not in _BAD_LAYOUT:
            raise
        raise ArchiveError(_("it is damaged or cut short.")) from None
    manifests = [p.parent for p in into.rglob(MANIFEST)]
    if len(manifests) != 1:
        raise ArchiveError(_("it must hold exactly one package folder (with its manifest.json)."))
    package = manifests[0]
    if package == into:  # the files were archived without their folder: give them one
        package = into / "package.pkg"
        package.mkdir()
        for name in PACKAGE_FILES:
            if (into / name).exists():
                (into / name).rename(package / name)
    outside = [p for p in into.rglob("*") if p.is_file() and package not in p.parents]
    schemas = [p for p in outside if p.suffix in (".yaml", ".yml")]
    maps = [p for p in outside if p.name.endswith(".map.csv")]
    others = [p for p in outside if p not in schemas and p not in maps]
    if others or len(schemas) > 1 or len(maps) > 1:
        raise ArchiveError(_("it holds files other than the package, one linkage schema and (the registry's "
                             "package only) its map."))
    return Unpacked(package, schemas[0] if schemas else None, maps[0] if maps else None)


def _unpack_members(archive: Path, into: Path, max_bytes: int) -> None:
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            _extract(_tar_members(tar, max_bytes), into, max_bytes)
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            _extract(_zip_members(zf), into, max_bytes)
    else:
        raise ArchiveError(_("it is neither a tar nor a zip archive."))


def _extract(members: list, into: Path, max_bytes: int) -> None:
    if len(members) > MAX_MEMBERS:
        raise ArchiveError(_("it holds %(n)d files, more than a package archive can.") % {"n": len(members)})
    if sum(size for _name, size, _read in members) > max_bytes:
        raise ArchiveError(_("it is larger, unpacked, than the size allowed."))
    copied = 0
    for name, _size, read in members:
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with read() as source, open(target, "wb") as out:
            while chunk := source.read(1 << 20):
                copied += len(chunk)
                if copied > max_bytes:  # sizes in a header may lie
                    raise ArchiveError(_("it is larger, unpacked, than the size allowed."))
                out.write(chunk)


def _checked(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ArchiveError(_("it holds an unsafe path."))
    return str(path)


def _tar_members(tar: tarfile.TarFile, max_bytes: int) -> list:
    members, declared = [], 0
    for count, m in enumerate(tar, 1):  # one header at a time: millions of empty members stop here, early
        if count > 2 * MAX_MEMBERS:  # the files and, at most, a folder each
            raise ArchiveError(_("it holds %(n)d files, more than a package archive can.") % {"n": count})
        declared += m.size  # reading the next header decompresses this member's data: stop before that
        if declared > max_bytes:
            raise ArchiveError(_("it is larger, unpacked, than the size allowed."))
        if m.isdir():
            continue
        if not m.isfile():
            raise ArchiveError(_("it holds a link or a special file."))
        members.append((_checked(m.name), m.size, lambda m=m: tar.extractfile(m)))
    return members


def _zip_members(zf: zipfile.ZipFile) -> list:
    members = []
    for info in zf.infolist():
        if info.is_dir():
            continue
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ArchiveError(_("it holds a link or a special file."))
        members.append((_checked(info.filename), info.file_size, lambda info=info: zf.open(info)))
    return members


def pack(package: Path, out: BinaryIO, *, schema: Path | None = None, map_file: Path | None = None) -> None:
    """Write to ``out`` a tar of ``package`` (and the schema, or the registry's map, beside it): what a
    holder uploads."""
    package = Path(package)
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name in PACKAGE_FILES:
            if (package / name).exists():
                tar.add(package / name, arcname=f"{package.name}/{name}")
        if schema is not None:
            tar.add(schema, arcname=Path(schema).name)
        if map_file is not None:
            tar.add(map_file, arcname=Path(map_file).name)
