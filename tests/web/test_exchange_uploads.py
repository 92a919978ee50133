"""Uploads: a package is accepted only when signed with its agency's registered key, for an open cycle, by an
officer of that agency, with payload fields its agreement allows; a refusal says which check failed."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import make_user
from django.utils import translation

from sijill.audit.models import AuditEntry
from sijill.demo.holders import encode_as_holders, world_files
from sijill.exchange import cycles, storage, trust
from sijill.exchange.archive import pack
from sijill.exchange.models import Agency, Package, PackageStatus
from sijill.exchange.seed import seed_agencies
from sijill.exchange.uploads import PackageRefused, receive_package
from sijill.pprl.format import load_schema
from sijill.pprl.format.package import map_path
from sijill.pprl.format.schema import example_schema_data, example_schemas
from sijill.pprl.holder import HolderKeys, encode
from sijill.tabular import read_batches


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from sijill.synth import generate_world

    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, 600, 5)
    return folder


@pytest.fixture
def cycle(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    seed_agencies()
    return cycles.open_cycle()


@pytest.fixture
def courts(world, cycle, tmp_path):
    """The courts' package for the open cycle, its key registered, and an officer of the courts."""
    shipped = encode_as_holders({"courts": world_files(world)["courts"]}, storage.registry_keys_dir(),
                                tmp_path / "holders")["courts"]
    agency = Agency.objects.get(code="courts")
    trust.register_key(agency, shipped.public_key.read_text(encoding="utf-8"))
    return shipped, agency, make_user("agency_data_officer", "courts-officer", agency="courts")


def _refusal(archive, **kwargs) -> str:
    kept = set(storage.data_dir().glob("packages/*/*.pkg"))
    with translation.override("en"), pytest.raises(PackageRefused) as refused:
        receive_package(archive, **kwargs)
    package = Package.objects.get(status=PackageStatus.REJECTED)
    assert package.rejection == refused.value.reason and refused.value.package == package
    assert AuditEntry.objects.filter(action="package_refused").exists()
    assert set(storage.data_dir().glob("packages/*/*.pkg")) == kept, "a refused package is not kept"
    return refused.value.reason


def _repack(package_dir: Path, **kwargs) -> io.BytesIO:
    buffer = io.BytesIO()
    pack(package_dir, buffer, **kwargs)
    buffer.seek(0)
    return buffer


def test_an_accepted_package_is_stored_hashed_and_audited(courts, cycle):
    shipped, agency, officer = courts
    body = shipped.archive.read_bytes()
    first = receive_package(io.BytesIO(body), agency=agency, user=officer)
    assert first.status == PackageStatus.ACCEPTED and first.cycle == cycle and first.uploaded_by == officer
    assert first.sha256 == hashlib.sha256(body).hexdigest() and first.size_bytes == len(body)
    assert first.records >= shipped.records  # padded with dummy records
    assert (storage.data_dir() / first.path / "manifest.json").is_file()
    assert set(first.payload_fields) == set(load_schema(example_schemas()["courts"]).payload)
    entry = AuditEntry.objects.get(action="package_upload")
    assert entry.actor == "courts-officer" and json.loads(entry.details)["sha256"] == first.sha256

    second = receive_package(io.BytesIO(body), agency=agency, user=officer)
    first.refresh_from_db()
    assert first.superseded and not second.superseded  # the run uses the latest


def test_the_registry_package_encoded_elsewhere_comes_with_its_map(cycle, world, tmp_path):
    """An analyst uploads the registry's own package (encoded with the registry's key folder); its map is kept
    apart from the packages the hub reads. Without its map it is refused."""
    analyst = make_user("analyst")
    shipped = encode_as_holders({"registry": world_files(world)["registry"]}, storage.registry_keys_dir(),
                                tmp_path / "holders")["registry"]
    package = receive_package(io.BytesIO(shipped.archive.read_bytes()), agency=None, user=analyst)
    assert package.status == PackageStatus.ACCEPTED and package.agency is None and package.cycle == cycle
    maps = list(storage.data_dir().rglob("*.map.csv"))
    assert [m.parent for m in maps] == [storage.maps_dir(cycle.code)] and maps[0].stat().st_mode & 0o077 == 0
    reason = _refusal(_repack(shipped.archive.with_suffix(".pkg")), agency=None, user=analyst)
    assert "must come with its map" in reason


def test_a_package_changed_after_signing_is_refused(courts):
    shipped, agency, officer = courts
    package = shipped.archive.with_suffix(".pkg")
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    manifest["records"] += 1
    (package / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reason = _refusal(_repack(package), agency=agency, user=officer)
    assert "signature does not match" in reason


def test_a_package_signed_with_an_unregistered_key_is_refused(courts, world, tmp_path):
    _, agency, officer = courts
    impostor = encode_as_holders({"courts": world_files(world)["courts"]}, storage.registry_keys_dir(),
                                 tmp_path / "impostor")["courts"]  # right name, its own new key
    reason = _refusal(io.BytesIO(impostor.archive.read_bytes()), agency=agency, user=officer)
    assert "not signed with the key registered for courts" in reason


def test_an_officer_uploads_for_their_own_agency_only(courts):
    shipped, agency, _ = courts
    deaths_officer = make_user("agency_data_officer", "deaths-officer", agency="deaths")
    reason = _refusal(io.BytesIO(shipped.archive.read_bytes()), agency=agency, user=deaths_officer)
    assert reason == "Your account does not upload for this agency."
    Package.objects.all().delete()
    reason = _refusal(io.BytesIO(shipped.archive.read_bytes()), agency=None, user=deaths_officer)
    assert "Only an analyst" in reason


def test_a_package_made_for_another_agency_is_refused(courts, world, tmp_path):
    deaths = encode_as_holders({"deaths": world_files(world)["deaths"]}, storage.registry_keys_dir(),
                               tmp_path / "holders")["deaths"]
    agency = Agency.objects.get(code="courts")
    officer = make_user("agency_data_officer", "other-courts-officer", agency="courts")
    reason = _refusal(io.BytesIO(deaths.archive.read_bytes()), agency=agency, user=officer)
    assert "not signed with the key registered for courts" in reason


def test_payload_fields_beyond_the_agreement_are_refused(courts):
    shipped, agency, officer = courts
    agreement = agency.agreement_in_force()
    agreement.allowed_payload_fields = [f for f in agreement.allowed_payload_fields if f != "المحكمة"]
    agreement.save()
    reason = _refusal(io.BytesIO(shipped.archive.read_bytes()), agency=agency, user=officer)
    assert f"agreement {agreement.reference} does not allow: المحكمة" in reason


def test_a_schema_sent_with_the_package_is_held_to_the_agreement(courts, world, tmp_path):
    """The courts add the national ID to their payload: the agreement does not allow it."""
    _, agency, officer = courts
    schema = example_schema_data("courts")
    schema["payload"].append("رقم البطاقة الوطنية")
    path = tmp_path / "courts.yaml"
    path.write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    keys = HolderKeys.load(tmp_path / "holders" / "keys" / "courts")
    out = tmp_path / "wider" / "courts.pkg"
    encode(read_batches(world_files(world)["courts"]).batches, load_schema(path), keys, out,
                agency="courts")
    assert "registered schema" in _refusal(_repack(out), agency=agency, user=officer)
    Package.objects.all().delete()
    assert "does not allow: رقم البطاقة الوطنية" in _refusal(_repack(out, schema=path), agency=agency, user=officer)


def test_a_package_for_another_cycle_is_refused(courts, cycle):
    shipped, agency, officer = courts
    cycles.close_cycle(cycle)
    reason = _refusal(io.BytesIO(shipped.archive.read_bytes()), agency=agency, user=officer)
    assert f"Cycle “{cycle.code}” no longer receives packages" in reason
    Package.objects.all().delete()
    following = cycles.open_cycle()  # new keys: the courts' package is of the cycle before
    reason = _refusal(io.BytesIO(shipped.archive.read_bytes()), agency=agency, user=officer, cycle=following)
    assert f"made for cycle “{cycle.code}”, not for cycle “{following.code}”" in reason


def test_an_agency_map_is_never_taken(courts):
    shipped, agency, officer = courts
    package = shipped.archive.with_suffix(".pkg")
    map_file = map_path(package)
    map_file.write_text("ref,record_id,row,dummy\nr1,C-1,2,false\n", encoding="utf-8")
    reason = _refusal(_repack(package, map_file=map_file), agency=agency, user=officer)
    assert "must never leave the agency" in reason
    assert not list(storage.data_dir().rglob("*.map.csv"))


def test_a_file_that_is_not_a_package_is_refused(courts):
    _, agency, officer = courts
    reason = _refusal(io.BytesIO(b"name,national id\nAli,198503021234\n"), agency=agency, user=officer)
    assert "not a usable package archive" in reason
    assert Package.objects.get().cycle is None  # nothing in it told which cycle


def test_an_agency_without_a_registered_key_cannot_upload(cycle, world, tmp_path):
    shipped = encode_as_holders({"deaths": world_files(world)["deaths"]}, storage.registry_keys_dir(),
                                tmp_path / "holders")["deaths"]
    officer = make_user("agency_data_officer", "deaths-officer", agency="deaths")
    reason = _refusal(io.BytesIO(shipped.archive.read_bytes()), agency=Agency.objects.get(code="deaths"), user=officer)
    assert "No signing key is registered" in reason


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip_with_a_bad_checksum() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("courts.pkg/manifest.json", b"x" * 100)
    body = buffer.getvalue()
    return body.replace(b"x" * 4, b"y" * 4, 1)


@pytest.mark.parametrize("damage", ["gzip cut short", "tar cut short", "zip checksum", "a file named as a folder"])
def test_a_damaged_archive_is_refused_with_a_reason(courts, damage):
    """A broken upload is refused (recorded and audited like any refusal), never a server error."""
    shipped, agency, officer = courts
    good = shipped.archive.read_bytes()
    body = {"gzip cut short": gzip.compress(good)[: len(good) // 3],
            "tar cut short": good[: len(good) // 2 + 100],
            "zip checksum": _zip_with_a_bad_checksum(),
            "a file named as a folder": _tar([("p.pkg", b"x"), ("p.pkg/manifest.json", b"{}")])}[damage]
    reason = _refusal(io.BytesIO(body), agency=agency, user=officer)
    assert reason == "The file is not a usable package archive: it is damaged or cut short."


def test_an_archive_of_many_empty_members_is_refused(courts):
    _, agency, officer = courts
    body = _tar([(f"f{i}", b"") for i in range(5000)])
    assert "more than a package archive can" in _refusal(io.BytesIO(body), agency=agency, user=officer)


def test_a_schema_that_is_not_utf8_or_not_valid_is_refused_without_a_server_path(courts, tmp_path):
    shipped, agency, officer = courts
    schema = tmp_path / "courts.yaml"
    schema.write_bytes("agency: المحاكم\n".encode("cp1256"))
    reason = _refusal(_repack(shipped.archive.with_suffix(".pkg"), schema=schema), agency=agency, user=officer)
    assert reason == "The linkage schema sent with the package is not UTF-8 text."
    Package.objects.all().delete()
    schema.write_text("- a list\n", encoding="utf-8")
    reason = _refusal(_repack(shipped.archive.with_suffix(".pkg"), schema=schema), agency=agency, user=officer)
    assert "not valid: courts.yaml must be a mapping" in reason and str(storage.data_dir()) not in reason


def test_a_holder_corrects_a_package_sent_with_other_encoding_settings(courts, world, tmp_path):
    """The courts' first package used the hardened settings; their package with the cycle's default settings
    replaces it (it is not held to the settings of the package it replaces)."""
    shipped, agency, officer = courts
    schema = example_schema_data("courts")
    schema["encoding"] = {"profile": "hardened"}
    path = tmp_path / "courts.yaml"
    path.write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    keys = HolderKeys.load(tmp_path / "holders" / "keys" / "courts")
    out = tmp_path / "hardened" / "courts.pkg"
    encode(read_batches(world_files(world)["courts"]).batches, load_schema(path), keys, out,
                agency="courts")
    first = receive_package(_repack(out, schema=path), agency=agency, user=officer)
    second = receive_package(io.BytesIO(shipped.archive.read_bytes()), agency=agency, user=officer)
    first.refresh_from_db()
    assert second.status == PackageStatus.ACCEPTED and first.superseded and not second.superseded


def test_a_compressed_archive_bomb_is_refused_before_it_is_unpacked(courts, monkeypatch):
    """The probe: a small .tar.gz that unpacks to gigabytes was unpacked up to the 8 GiB limit before the
    refusal. Now the bound is a ratio of the archive's own size, checked header by header."""
    from sijill.exchange import archive

    _, agency, officer = courts
    size = 200 << 20  # 200 MiB of zeros: about 200 KiB compressed
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("courts.pkg/encodings.parquet")
        info.size = size
        tar.addfile(info, io.BytesIO(bytes(size)))
    bomb = gzip.compress(raw.getvalue(), compresslevel=1)
    assert len(bomb) * archive.MAX_RATIO + archive.SMALL_PACKAGE < size
    written = []
    real_open = open

    def counting_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if "w" in mode and str(path).endswith(".parquet"):
            written.append(handle)
        return handle

    import builtins

    monkeypatch.setattr(builtins, "open", counting_open)
    reason = _refusal(io.BytesIO(bomb), agency=agency, user=officer)
    monkeypatch.undo()
    assert reason == "The file is not a usable package archive: it is larger, unpacked, than the size allowed."
    assert not written  # refused on the header, before a byte of it was written
