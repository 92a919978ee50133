"""Uploads. An agency's package goes to the linkage hub (its own service), which accepts it only when signed with
the agency's key the registry registered, for the open cycle, with payload fields its agreement allows; a refusal
says which check failed. The registry refuses any agency's package before a byte of it is written; it takes only
its own package (encoded elsewhere, with its map)."""

from __future__ import annotations

import gzip
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
from sijill.exchange.models import Agency, Package, PackageStatus
from sijill.exchange.seed import seed_agencies
from sijill.exchange.uploads import PackageRefused, receive_package
from sijill.hub import HubClient, HubError
from sijill.pprl.format import load_schema
from sijill.pprl.format.archive import pack
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
def cycle(db, settings, tmp_path, hub):
    settings.DATA_DIR = tmp_path / "var"
    seed_agencies()
    cycle = cycles.open_cycle()
    hub.trust_registry()
    return cycle


@pytest.fixture
def courts(world, cycle, tmp_path, hub):
    """The courts' package for the open cycle, their key registered by the registry (which tells the hub)."""
    shipped = encode_as_holders({"courts": world_files(world)["courts"]}, storage.registry_keys_dir(),
                                tmp_path / "holders")["courts"]
    agency = Agency.objects.get(code="courts")
    trust.register_key(agency, shipped.public_key.read_text(encoding="utf-8"))
    return shipped, tmp_path / "holders" / "keys" / "courts"


def _send(hub, key_folder: Path, body: bytes | io.BytesIO, cycle: str | None = None) -> dict:
    """The holder sends ``body`` to the hub, signed with its own key; the hub's verdict."""
    archive = key_folder.parent.parent / "upload.bin"
    archive.write_bytes(body.getvalue() if isinstance(body, io.BytesIO) else body)
    keys = HolderKeys.load(key_folder)
    return HubClient(hub.url, keys).upload(cycle or keys.cycle, archive)


def _refusal(hub, key_folder: Path, body, cycle: str | None = None) -> str:
    kept = set(hub.data.glob("packages/*/*.pkg"))
    verdict = _send(hub, key_folder, body, cycle)
    assert verdict["status"] == "rejected", verdict
    assert set(hub.data.glob("packages/*/*.pkg")) == kept, "a refused package is not kept"
    assert not list((hub.data / "incoming").iterdir()), "nor its upload"
    assert not list(storage.data_dir().glob("packages/*/*.pkg")), "the registry holds no agency's package"
    return verdict["reason"]


def _repack(package_dir: Path, **kwargs) -> io.BytesIO:
    buffer = io.BytesIO()
    pack(package_dir, buffer, **kwargs)
    buffer.seek(0)
    return buffer


def test_an_accepted_package_is_kept_at_the_hub_hashed_and_logged(courts, cycle, hub):
    import hashlib

    shipped, keys = courts
    body = shipped.archive.read_bytes()
    first = _send(hub, keys, body)["package"]
    assert first["cycle"] == cycle.code and first["holder"] == "courts" and first["status"] == "accepted"
    assert first["sha256"] == hashlib.sha256(body).hexdigest() and first["size_bytes"] == len(body)
    assert first["records"] >= shipped.records  # padded with dummy records
    assert len(list(hub.data.glob(f"packages/{cycle.code}/courts-*.pkg/manifest.json"))) == 1
    with hub.store.db() as db:
        event = db.execute("SELECT * FROM events WHERE event = 'package_accepted'").fetchone()
    detail = json.loads(event["detail"])
    assert event["holder"] == "courts" and detail["sha256"] == first["sha256"]
    assert set(detail["payload_fields"]) == set(load_schema(example_schemas()["courts"]).payload)

    second = _send(hub, keys, body)["package"]
    in_use = next(h for h in cycles.holdings(cycle) if h.code == "courts").package
    assert in_use.sha256 == second["sha256"] and not in_use.superseded  # the run uses the latest
    assert len(list(hub.data.glob(f"packages/{cycle.code}/courts-*.pkg"))) == 1, "the one replaced is deleted"
    assert not Package.objects.exists(), "the registry stores nothing of an agency's package"


def test_the_registry_refuses_an_agencys_package_before_reading_it_and_points_to_the_hub(courts, hub):
    shipped, _ = courts
    officer = make_user("agency_data_officer", "courts-officer", agency="courts")
    with translation.override("en"), pytest.raises(PackageRefused) as refused:
        receive_package(io.BytesIO(shipped.archive.read_bytes()), agency=Agency.objects.get(code="courts"),
                        user=officer)
    assert "sijill hub upload --hub " + hub.url in refused.value.reason
    package = Package.objects.get()
    assert package.status == PackageStatus.REJECTED and not package.path and not package.sha256
    assert AuditEntry.objects.filter(action="package_refused").exists()
    assert not [p for p in storage.data_dir().rglob("*") if p.is_file() and p.suffix in (".parquet", ".tar")]


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
    with translation.override("en"), pytest.raises(PackageRefused) as refused:
        receive_package(_repack(shipped.archive.with_suffix(".pkg")), agency=None, user=analyst)
    assert "must come with its map" in refused.value.reason


def test_a_package_changed_after_signing_is_refused(courts, hub):
    shipped, keys = courts
    package = shipped.archive.with_suffix(".pkg")
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    manifest["records"] += 1
    (package / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reason = _refusal(hub, keys, _repack(package))
    assert "signature does not match" in reason


def test_a_package_signed_with_an_unregistered_key_is_refused(courts, world, tmp_path, hub):
    _, keys = courts
    impostor = encode_as_holders({"courts": world_files(world)["courts"]}, storage.registry_keys_dir(),
                                 tmp_path / "impostor")["courts"]  # right name, its own new key
    reason = _refusal(hub, keys, impostor.archive.read_bytes())  # sent with the courts' key, signed with another
    assert "not signed with the key registered for courts" in reason
    with pytest.raises(HubError) as refused:  # and the impostor's own key opens no door at the hub
        _send(hub, tmp_path / "impostor" / "keys" / "courts", impostor.archive.read_bytes())
    assert refused.value.status == 403


def test_only_an_analyst_uploads_the_registrys_own_package(courts):
    shipped, _ = courts
    deaths_officer = make_user("agency_data_officer", "deaths-officer", agency="deaths")
    with translation.override("en"), pytest.raises(PackageRefused) as refused:
        receive_package(io.BytesIO(shipped.archive.read_bytes()), agency=None, user=deaths_officer)
    assert "Only an analyst" in refused.value.reason


def test_a_package_made_for_another_agency_is_refused(courts, world, tmp_path, hub):
    _, keys = courts
    deaths = encode_as_holders({"deaths": world_files(world)["deaths"]}, storage.registry_keys_dir(),
                               tmp_path / "holders")["deaths"]
    reason = _refusal(hub, keys, deaths.archive.read_bytes())
    assert "not signed with the key registered for courts" in reason


def test_payload_fields_beyond_the_agreement_are_refused(courts, cycle, hub):
    from sijill.exchange.hub import announce

    shipped, keys = courts
    agreement = Agency.objects.get(code="courts").agreement_in_force()
    agreement.allowed_payload_fields = [f for f in agreement.allowed_payload_fields if f != "المحكمة"]
    agreement.save()
    announce(cycle)  # the registry tells the hub what the agreement in force allows
    reason = _refusal(hub, keys, shipped.archive.read_bytes())
    assert "courts's agreement does not allow: المحكمة" in reason


def test_a_schema_sent_with_the_package_is_held_to_the_agreement(courts, world, tmp_path, hub):
    """The courts add the national ID to their payload: the agreement does not allow it."""
    _, keys_folder = courts
    schema = example_schema_data("courts")
    schema["payload"].append("رقم البطاقة الوطنية")
    path = tmp_path / "courts.yaml"
    path.write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    keys = HolderKeys.load(tmp_path / "holders" / "keys" / "courts")
    out = tmp_path / "wider" / "courts.pkg"
    encode(read_batches(world_files(world)["courts"]).batches, load_schema(path), keys, out,
                agency="courts")
    assert "registered schema" in _refusal(hub, keys_folder, _repack(out))
    assert "does not allow: رقم البطاقة الوطنية" in _refusal(hub, keys_folder, _repack(out, schema=path))


def test_a_package_for_another_cycle_is_refused(courts, cycle, hub):
    shipped, keys = courts
    cycles.close_cycle(cycle)  # closed at the hub too
    reason = _refusal(hub, keys, shipped.archive.read_bytes())
    assert f"Cycle “{cycle.code}” no longer receives packages" in reason
    following = cycles.open_cycle()  # new keys: the courts' package is of the cycle before
    reason = _refusal(hub, keys, shipped.archive.read_bytes(), cycle=following.code)
    assert f"made for cycle “{cycle.code}”, not for cycle “{following.code}”" in reason


def test_an_agency_map_is_never_taken(courts, hub):
    shipped, keys = courts
    package = shipped.archive.with_suffix(".pkg")
    map_file = map_path(package)
    map_file.write_text("ref,record_id,row,dummy\nr1,C-1,2,false\n", encoding="utf-8")
    reason = _refusal(hub, keys, _repack(package, map_file=map_file))
    assert "must never leave its holder" in reason
    assert not list(storage.data_dir().rglob("*.map.csv")) and not list(hub.data.rglob("*.map.csv"))


def test_a_file_that_is_not_a_package_is_refused(courts, hub):
    _, keys = courts
    reason = _refusal(hub, keys, b"name,national id\nAli,198503021234\n")
    assert "not a usable package archive" in reason


def test_an_agency_without_a_registered_key_cannot_upload(cycle, world, tmp_path, hub):
    shipped = encode_as_holders({"deaths": world_files(world)["deaths"]}, storage.registry_keys_dir(),
                                tmp_path / "holders")["deaths"]
    with pytest.raises(HubError) as refused:
        _send(hub, tmp_path / "holders" / "keys" / "deaths", shipped.archive.read_bytes())
    assert refused.value.status == 403 and "not a holder this hub knows" in refused.value.message
    assert not list(hub.data.glob("packages/*/*.pkg"))


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
def test_a_damaged_archive_is_refused_with_a_reason(courts, damage, hub):
    """A broken upload is refused (recorded and logged like any refusal), never a server error."""
    shipped, keys = courts
    good = shipped.archive.read_bytes()
    body = {"gzip cut short": gzip.compress(good)[: len(good) // 3],
            "tar cut short": good[: len(good) // 2 + 100],
            "zip checksum": _zip_with_a_bad_checksum(),
            "a file named as a folder": _tar([("p.pkg", b"x"), ("p.pkg/manifest.json", b"{}")])}[damage]
    reason = _refusal(hub, keys, body)
    assert reason == "The file is not a usable package archive: it is damaged or cut short."


def test_an_archive_of_many_empty_members_is_refused(courts, hub):
    _, keys = courts
    body = _tar([(f"f{i}", b"") for i in range(5000)])
    assert "more than a package archive can" in _refusal(hub, keys, body)


def test_a_schema_that_is_not_utf8_or_not_valid_is_refused_without_a_server_path(courts, tmp_path, hub):
    shipped, keys = courts
    schema = tmp_path / "courts.yaml"
    schema.write_bytes("agency: المحاكم\n".encode("cp1256"))
    reason = _refusal(hub, keys, _repack(shipped.archive.with_suffix(".pkg"), schema=schema))
    assert reason == "The linkage schema sent with the package is not UTF-8 text."
    schema.write_text("- a list\n", encoding="utf-8")
    reason = _refusal(hub, keys, _repack(shipped.archive.with_suffix(".pkg"), schema=schema))
    assert "not valid: courts.yaml must be a mapping" in reason and str(hub.data) not in reason


def test_a_holder_corrects_a_package_sent_with_other_encoding_settings(courts, world, tmp_path, hub):
    """The courts' first package used the hardened settings; their package with the cycle's default settings
    replaces it (it is not held to the settings of the package it replaces)."""
    shipped, keys_folder = courts
    schema = example_schema_data("courts")
    schema["encoding"] = {"profile": "hardened"}
    path = tmp_path / "courts.yaml"
    path.write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    keys = HolderKeys.load(tmp_path / "holders" / "keys" / "courts")
    out = tmp_path / "hardened" / "courts.pkg"
    encode(read_batches(world_files(world)["courts"]).batches, load_schema(path), keys, out,
                agency="courts")
    first = _send(hub, keys_folder, _repack(out, schema=path))
    second = _send(hub, keys_folder, shipped.archive.read_bytes())
    assert first["status"] == second["status"] == "accepted"
    assert len(list(hub.data.glob("packages/*/courts-*.pkg"))) == 1


def test_a_compressed_archive_bomb_is_refused_before_it_is_unpacked(courts, hub, monkeypatch):
    """The probe: a small .tar.gz that unpacks to gigabytes was unpacked up to the 8 GiB limit before the
    refusal. Now the bound is a ratio of the archive's own size, checked header by header."""
    from sijill.pprl.format import archive

    _, keys_folder = courts
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
    reason = _refusal(hub, keys_folder, io.BytesIO(bomb))
    monkeypatch.undo()
    assert "it is larger, unpacked, than the size allowed" in reason
    assert not written  # refused on the header, before a byte of it was written


def test_the_feeds_dashboard_reads_the_last_package_from_the_hub(courts, cycle, hub):
    from sijill.exchange.services import feeds

    before = {f.agency.code: f for f in feeds()}
    assert before["courts"].last is None and before["courts"].overdue
    shipped, keys = courts
    _send(hub, keys, shipped.archive.read_bytes())
    after = {f.agency.code: f for f in feeds()}
    assert after["courts"].last.cycle == cycle and after["courts"].days_since == 0 and not after["courts"].overdue
    assert after["deaths"].last is None
