"""Key files: created private, refused when readable by others, never shown, rotated per cycle."""

from __future__ import annotations

import os
import stat

import pytest

from sijill.pprl.format import KeyFileError, TrustStore
from sijill.pprl.format.keyfiles import HOLDER_SECRET, LINKAGE_SECRET, REGISTRY_SECRET
from sijill.pprl.holder import HolderKeys, init_keys, rotate_keys
from sijill.pprl.holder.keys import hkdf_sha256
from sijill.pprl.registry import RegistryKeys


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_creates_secrets_readable_by_the_owner_only(tmp_path):
    info = init_keys(tmp_path / "k", "registry", cycle="2025-06")
    assert info.cycle == "2025-06" and info.holder == "registry" and info.has_registry_secret
    for name in (LINKAGE_SECRET, HOLDER_SECRET, REGISTRY_SECRET):
        assert _mode(tmp_path / "k" / name) == 0o600, name
    assert _mode(tmp_path / "k") == 0o700
    assert info.trusted == ("registry",)


def test_a_joining_partner_gets_the_cycle_but_not_the_registry_private_key(tmp_path):
    init_keys(tmp_path / "reg", "registry")
    info = init_keys(tmp_path / "courts", "courts", join=tmp_path / "reg")
    assert not (tmp_path / "courts" / REGISTRY_SECRET).exists()
    reg, courts = HolderKeys.load(tmp_path / "reg"), HolderKeys.load(tmp_path / "courts")
    assert courts.cycle == reg.cycle == info.cycle
    assert courts.subkey("token/given_name").reveal() == reg.subkey("token/given_name").reveal()
    assert courts.registry_public == reg.registry_public
    assert courts.verify_key != reg.verify_key


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o660])
def test_too_open_permissions_are_refused_with_the_fix(tmp_path, mode):
    init_keys(tmp_path / "k", "registry")
    os.chmod(tmp_path / "k" / LINKAGE_SECRET, mode)
    with pytest.raises(KeyFileError, match=r"too open.*chmod 600"):
        HolderKeys.load(tmp_path / "k")


def test_existing_keys_are_never_overwritten(tmp_path):
    init_keys(tmp_path / "k", "registry")
    with pytest.raises(KeyFileError, match="already holds keys"):
        init_keys(tmp_path / "k", "registry")


@pytest.mark.parametrize("name", ["", "مسجل", "a b", "../x"])
def test_holder_names_are_plain_ascii(tmp_path, name):
    with pytest.raises(KeyFileError, match="holder name"):
        init_keys(tmp_path / "k", name)


def test_secrets_never_show_in_repr(tmp_path):
    init_keys(tmp_path / "k", "registry")
    keys = HolderKeys.load(tmp_path / "k")
    secret = (tmp_path / "k" / LINKAGE_SECRET).read_text()
    shown = repr(keys) + str(keys) + repr(keys.subkey("x")) + repr(RegistryKeys.load(tmp_path / "k"))
    assert "redacted" in repr(keys.subkey("x"))
    for value in (keys._linkage.reveal().hex(), keys._signing.reveal().hex(), keys.subkey("x").reveal().hex()):
        assert value not in shown and value[:16] not in shown
    assert secret not in shown


def test_subkeys_differ_by_purpose_and_by_cycle(tmp_path):
    init_keys(tmp_path / "k", "registry")
    keys = HolderKeys.load(tmp_path / "k")
    purposes = ["token/given_name", "token/father_name", "bloom/given_name", "block/given_year"]
    derived = {keys.subkey(p).reveal() for p in purposes}
    assert len(derived) == len(purposes) and all(len(k) == 32 for k in derived)
    rotate_keys(tmp_path / "k")
    rotated = HolderKeys.load(tmp_path / "k")
    assert rotated.cycle != keys.cycle
    assert not derived & {rotated.subkey(p).reveal() for p in purposes}


def test_rotation_destroys_the_old_secret_and_keeps_retired_registry_keys(tmp_path):
    init_keys(tmp_path / "k", "registry", cycle="c1")
    old = (tmp_path / "k" / LINKAGE_SECRET).read_text()
    old_registry = RegistryKeys.load(tmp_path / "k")
    info = rotate_keys(tmp_path / "k", cycle="c2", registry=True)
    assert info.cycle == "c2" and (tmp_path / "k" / LINKAGE_SECRET).read_text() != old
    retired = list((tmp_path / "k" / "retired").iterdir())
    assert len(retired) == 1 and _mode(retired[0]) == 0o600
    assert len(RegistryKeys.load(tmp_path / "k")._private) == 2
    assert len(old_registry._private) == 1


def test_hkdf_matches_rfc_5869_test_case_1():
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    expected = ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                "34007208d5b887185865")
    assert hkdf_sha256(ikm, info, 42, salt).hex() == expected


def test_the_trust_store_reads_public_keys_only(tmp_path):
    init_keys(tmp_path / "k", "registry")
    store = TrustStore.from_dir(tmp_path / "k")
    assert store.holders() == ("registry",)
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeyFileError, match="no trusted holder keys"):
        TrustStore.from_dir(tmp_path / "empty")
