"""The promises of the exchange, tested: no clear value leaves a holder; only signed, intact packages from
trusted holders are loaded; payloads open only with the registry's key; the hub never touches a secret."""

from __future__ import annotations

import builtins
import contextlib
import inspect
import io
import json
import os
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from pprl_world import COURT, REGISTRY, read_csv

from sijill import identity
from sijill.pprl.format import (
    IncompatiblePackage,
    KeyFileError,
    Package,
    PayloadError,
    TamperedPackage,
    TrustStore,
    UnknownHolder,
    UnsignedPackage,
    hits_table,
    open_package,
    open_packages,
    read_hits,
    write_hits,
)
from sijill.pprl.format.keyfiles import SECRET_SUFFIX
from sijill.pprl.format.package import ENCODINGS, MANIFEST, SIGNATURE
from sijill.pprl.holder import EncodeResult, HolderKeys, init_keys
from sijill.pprl.registry import RegistryKeys
from sijill.pprl.registry.payload import PayloadOpener

# --- no clear value in a package -------------------------------------------------------------------------


def _forms(value: str) -> set[str]:
    """A value as written and as Sijill may have normalised it along the way."""
    forms = {value, value.strip()}
    for f in (identity.normalize_text, identity.canonical, identity.skeleton):
        forms.add(f(value))
    with contextlib.suppress(identity.IdentityError):
        forms.add(identity.national_id(value))
    try:
        d = identity.parse_date(value)
        forms |= {str(d), f"{d.year}", f"{d.year}{d.month or 0:02d}{d.day or 0:02d}"}
        if d.month:
            forms |= {f"{d.year}-{d.month:02d}", f"{d.day or 1:02d}/{d.month:02d}/{d.year}"}
    except identity.IdentityError:
        pass
    for word in identity.normalize_text(value).split():
        forms |= {word, identity.canonical(word), identity.skeleton(word)}
    return {f for f in forms if f}


def _needles(rows) -> set[bytes]:
    """Every value of the input in UTF-8, UTF-16 and Windows-1256 (at least 4 bytes long)."""
    out = set()
    for row in rows:
        for value in row:
            for form in _forms(value):
                for encoding in ("utf-8", "utf-16-le", "cp1256"):
                    try:
                        data = form.encode(encoding)
                    except UnicodeEncodeError:
                        continue
                    # Four digits turn up in the manifest's hexadecimal hashes: bare years are checked as
                    # numbers below.
                    if len(data) >= (6 if data.isdigit() else 4):
                        out.add(data)
    return out


def _haystacks(path: Path, trust: TrustStore) -> tuple[bytes, bytes]:
    """Everything in the package (its files, and its table uncompressed: a value would hide in zstd), and
    its non-random part (manifest, signature, schema), where even short values are sought.

    Tokens, filters and ciphertexts are random bytes, in which any given 4 to 7 bytes occur by chance
    (a 4-byte value once in 4 GB; the package has some 400 KB): there, values of 8 bytes or more are sought.
    References are random too, and hexadecimal: a short record number such as "b005" turns up in them by
    chance (it failed one CI run), so they are searched like the rest of the random part. So are the
    manifest's hexadecimal hashes, keys and sealed key ("b004" turned up in a sealed key and failed another)
    and the signature's bytes: only the manifest's words and the schema are searched for short values.
    """
    raw = b"".join(p.read_bytes() for p in sorted(path.iterdir()))
    table = open_package(path, trust).read()
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    words = re.sub(rb"[0-9a-f]{16,}", b"#", (path / MANIFEST).read_bytes())
    structured = words + table.schema.serialize().to_pybytes()
    return raw + sink.getvalue(), structured


@pytest.fixture
def trust(world) -> TrustStore:
    return TrustStore.from_dir(world / "keys" / "registry")


def _all_forms(rows) -> set[bytes]:
    """Every form of every input value, however short ("ذكر", "B001", "Karkh"), in each encoding."""
    out = set()
    for row in rows:
        for value in row:
            for form in _forms(value):
                for encoding in ("utf-8", "utf-16-le", "cp1256"):
                    try:
                        out.add(form.encode(encoding))
                    except UnicodeEncodeError:
                        continue
    return out


def _cells(table: pa.Table) -> set[bytes]:
    """Every value of every cell of the table (list elements one by one), as bytes in each encoding a clear
    value could have been written in; numbers as their digits."""
    out = set()

    def add(value) -> None:
        if value is None:
            return
        if isinstance(value, list | tuple):
            for v in value:
                add(v)
        elif isinstance(value, bytes):
            out.add(value)
        elif isinstance(value, str):
            for encoding in ("utf-8", "utf-16-le", "cp1256"):
                try:
                    out.add(value.encode(encoding))
                except UnicodeEncodeError:
                    continue
        else:
            out.add(str(value).encode())

    for column in table.columns:
        for value in column.to_pylist():
            add(value)
    return out


def _clear_cells(table: pa.Table, rows) -> list[str]:
    """The cells of ``table`` equal to an input value in any form, whatever its length."""
    return sorted(n.decode("utf-8", "replace") for n in _all_forms(rows) & _cells(table))


@pytest.mark.parametrize(("who", "rows"), [("registry", REGISTRY), ("courts", COURT)])
def test_no_cell_of_a_package_holds_an_input_value_however_short(packages, trust, who, rows):
    """Record numbers, sex, a court's name: short values are sought in every cell of the table, not only in
    the manifest (in random bytes a 4-byte value turns up by chance; a cell equal to one does not)."""
    table = open_package(packages[who].package, trust).read()
    assert table.num_rows == 50 and len(_all_forms(rows)) > 100
    assert not _clear_cells(table, rows), f"clear values in cells of the {who} package"


def test_the_cell_search_finds_a_short_clear_value_planted_in_a_package(packages, trust):
    """The positive control: a package whose table kept the sex, the court's name or a record number in clear
    is caught, although each is shorter than the 8 bytes searched in the random part."""
    table = open_package(packages["courts"].package, trust).read()
    for planted in ("ذكر", "Karkh", "C-17"):
        leaked = table.append_column("leak", pa.array([planted] + [None] * (table.num_rows - 1), pa.string()))
        assert planted in _clear_cells(leaked, [*REGISTRY, *COURT]), planted


@pytest.mark.parametrize(("who", "rows"), [("registry", REGISTRY), ("courts", COURT)])
def test_a_package_holds_no_clear_input_value(packages, trust, who, rows):
    everything, structured = _haystacks(packages[who].package, trust)
    needles = _needles(rows)
    assert len(needles) > 50
    found = sorted(n.decode("utf-8", "replace") for n in needles
                   if (n in everything if len(n) >= 8 else n in structured))
    assert not found, f"clear values in the {who} package: {found}"


def test_identifiers_and_dates_are_not_stored_as_numbers_either(world, packages):
    table = open_package(packages["registry"].package, TrustStore.from_dir(world / "keys" / "registry"))
    numbers = {int(row[1]) for row in REGISTRY} | {19850302, 1985, 1990, 1977, 2001, 1964}
    data = table.read()
    for name in data.column_names:
        if pa.types.is_integer(data.schema.field(name).type):
            assert not numbers & set(data[name].to_pylist()), name


def test_the_map_and_the_error_report_stay_beside_the_package(packages, trust):
    for result in packages.values():
        assert sorted(p.name for p in result.package.iterdir()) == [ENCODINGS, MANIFEST, SIGNATURE]
        assert result.map.parent == result.package.parent
        assert oct(result.map.stat().st_mode)[-3:] == "600", "the map names records: its owner only"
        ids = {m["record_id"] for m in read_csv(result.map) if m["record_id"]}
        assert ids and all(len(i) < 8 for i in ids), "the fixture's record numbers are short: searched by cell"
        table = open_package(result.package, trust).read()
        assert not _clear_cells(table, [(i,) for i in ids]), "a record number is in a cell of the package"
        assert not any(i.encode() in _haystacks(result.package, trust)[1] for i in ids)


# --- only signed, intact packages from trusted holders ---------------------------------------------------


@pytest.fixture
def copy(packages, tmp_path):
    def make(who: str = "courts") -> Path:
        target = tmp_path / f"{who}.pkg"
        shutil.copytree(packages[who].package, target)
        return target

    return make


def test_an_intact_package_from_a_trusted_holder_loads(copy, trust):
    package = open_package(copy(), trust)
    assert package.agency == "courts" and package.manifest.holder == "courts"
    assert package.read().num_rows == package.manifest.records == 50


def test_a_changed_byte_in_the_encodings_is_refused(copy, trust):
    path = copy()
    data = bytearray((path / ENCODINGS).read_bytes())
    data[len(data) // 2] ^= 0x01
    (path / ENCODINGS).write_bytes(bytes(data))
    with pytest.raises(TamperedPackage, match="does not match its signed hash"):
        open_package(path, trust)


def test_a_changed_manifest_is_refused(copy, trust):
    path = copy()
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["records"] = 49
    (path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(TamperedPackage, match="signature does not match"):
        open_package(path, trust)


def test_an_unsigned_package_is_refused(copy, trust):
    path = copy()
    (path / SIGNATURE).unlink()
    with pytest.raises(UnsignedPackage, match="unsigned"):
        open_package(path, trust)


def test_a_package_from_an_unknown_holder_is_refused(world, copy, tmp_path):
    path = copy()
    only_registry = tmp_path / "hub-trust"
    only_registry.mkdir()
    shutil.copy(world / "keys" / "registry" / "holder.pub", only_registry / "registry.pub")
    with pytest.raises(UnknownHolder, match=r"'courts'.*not among the trusted holders"):
        open_package(path, TrustStore.from_dir(only_registry))


def test_a_package_signed_by_an_impostor_in_a_trusted_name_is_refused(world, copy, trust, tmp_path):
    path = copy()
    init_keys(tmp_path / "impostor", "courts", join=world / "keys" / "registry")
    impostor = HolderKeys.load(tmp_path / "impostor")
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["signing_key"] = impostor.verify_key.hex()
    body = json.dumps(manifest).encode()
    (path / MANIFEST).write_bytes(body)
    (path / SIGNATURE).write_text(impostor.sign(body).hex())
    with pytest.raises(UnknownHolder, match="not among the trusted"):
        open_package(path, trust)


def test_a_file_slipped_into_a_package_is_refused(packages, copy, trust):
    path = copy()
    shutil.copy(packages["courts"].map, path / "courts.pkg.map.csv")
    with pytest.raises(TamperedPackage, match=r"files the manifest does not list \(courts.pkg.map.csv\)"):
        open_package(path, trust)


def test_a_package_of_another_cycle_or_identity_version_is_refused(packages, trust):
    path = packages["courts"].package
    with pytest.raises(IncompatiblePackage, match="cycle"):
        open_package(path, trust, cycle="1999-01")
    with pytest.raises(IncompatiblePackage, match="identity"):
        open_package(path, trust, identity_version="0.0+old")


def test_packages_compared_together_must_share_cycle_identity_and_encoding(packages, trust):
    both = open_packages([packages["registry"].package, packages["courts"].package], trust)
    assert {p.agency for p in both} == {"registry", "courts"}
    assert len({p.manifest.encoding_hash for p in both}) == 1


# --- payloads open with the registry's private key only ---------------------------------------------------


def _first_real(result: EncodeResult, trust) -> tuple[Package, dict]:
    package = open_package(result.package, trust)
    refs = {m["ref"] for m in read_csv(result.map) if m["dummy"] == "false"}
    return package, next(r for r in package.read().to_pylist() if r["ref"] in refs)


def test_the_registry_opens_a_partner_payload(world, packages, trust):
    package, row = _first_real(packages["courts"], trust)
    body = PayloadOpener(RegistryKeys.load(world / "keys" / "registry")).open(
        package.manifest.sealed_payload_key, row["payload"], agency="courts", ref=row["ref"])
    assert body["id"] in {"C-17", "C-18", "C-19"} and set(body["f"]) == {"court", "contract_date"}


def test_payloads_do_not_open_without_the_registry_private_key(world, packages, trust, tmp_path):
    package, row = _first_real(packages["courts"], trust)
    with pytest.raises(KeyFileError, match="only the registry"):
        RegistryKeys.load(world / "keys" / "courts")  # the partner itself cannot read what it sealed
    init_keys(tmp_path / "other-registry", "registry")
    other = PayloadOpener(RegistryKeys.load(tmp_path / "other-registry"))
    with pytest.raises(PayloadError, match="no registry private key"):
        other.open(package.manifest.sealed_payload_key, row["payload"], agency="courts", ref=row["ref"])


def test_a_payload_moved_to_another_record_or_agency_is_detected(world, packages, trust):
    package, row = _first_real(packages["courts"], trust)
    opener = PayloadOpener(RegistryKeys.load(world / "keys" / "registry"))
    key = package.manifest.sealed_payload_key
    with pytest.raises(PayloadError, match="belongs to another record"):
        opener.open(key, row["payload"], agency="courts", ref="0" * 24)
    with pytest.raises(PayloadError, match="belongs to another record"):
        opener.open(key, row["payload"], agency="banks", ref=row["ref"])
    damaged = row["payload"][:-1] + bytes([row["payload"][-1] ^ 1])
    with pytest.raises(PayloadError, match="damaged"):
        opener.open(key, damaged, agency="courts", ref=row["ref"])


# --- the hub's side takes no secret and reads none --------------------------------------------------------

HUB_API = [open_package, open_packages, TrustStore.from_dir, TrustStore.__init__,
           TrustStore.verify, Package.read, Package.iter_batches, read_hits, write_hits,
           hits_table]
SECRET_WORDS = ("secret", "private", "linkage", "keys", "key", "password", "seed")


@pytest.mark.parametrize("function", HUB_API, ids=lambda f: f.__qualname__)
def test_the_hub_api_has_no_parameter_for_a_secret(function):
    for name, parameter in inspect.signature(function).parameters.items():
        assert name not in SECRET_WORDS and not any(w in name for w in ("secret", "private")), name
        annotation = str(parameter.annotation)
        assert not any(t in annotation for t in ("HolderKeys", "RegistryKeys", "Secret")), (name, annotation)


def test_the_hub_loader_never_opens_a_secret_file(world, packages, monkeypatch):
    opened: list[str] = []
    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open

    def spy(opener):
        def wrapper(file, *args, **kwargs):
            opened.append(os.fspath(file) if not isinstance(file, int) else f"fd:{file}")
            return opener(file, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(builtins, "open", spy(real_open))
    monkeypatch.setattr(io, "open", spy(real_io_open))
    monkeypatch.setattr(os, "open", spy(real_os_open))
    monkeypatch.setattr(HolderKeys, "load", lambda *a, **k: pytest.fail("the hub loaded holder keys"))
    monkeypatch.setattr(RegistryKeys, "load", lambda *a, **k: pytest.fail("the hub loaded registry keys"))
    trust = TrustStore.from_dir(world / "keys" / "registry")  # a key folder full of secrets, on purpose
    for result in packages.values():
        package = open_package(result.package, trust)
        package.read()
        list(package.iter_batches())
    assert opened, "the spy saw the loader's reads"
    assert not [p for p in opened if p.endswith(SECRET_SUFFIX)], opened
    assert any(p.endswith(".pub") for p in opened)
