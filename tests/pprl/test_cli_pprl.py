"""`sijill keys`, `sijill encode`: driven in-process as a data officer would use them."""

from __future__ import annotations

import json
import os

from pprl_world import COURT_HEADER, read_csv, write_csv
from typer.testing import CliRunner

from sijill.cli import app
from sijill.pprl.format import TrustStore, open_package
from sijill.pprl.format.keyfiles import HOLDER_SECRET, LINKAGE_SECRET, REGISTRY_SECRET
from sijill.pprl.holder import HolderKeys

runner = CliRunner()


def said(result) -> str:
    """The command's output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def _secrets(directory) -> list[str]:
    out = []
    for name in (LINKAGE_SECRET, HOLDER_SECRET, REGISTRY_SECRET):
        if (directory / name).exists():
            out += [v for v in json.loads((directory / name).read_text()).values() if len(str(v)) == 64]
    return out


def test_keys_init_join_trust_show_and_rotate_never_print_a_secret(tmp_path):
    reg, courts = tmp_path / "registry", tmp_path / "courts"
    outputs = [runner.invoke(app, ["keys", "init", str(reg), "--holder", "registry", "--cycle", "2025-06"])]
    outputs.append(runner.invoke(app, ["keys", "init", str(courts), "--holder", "courts", "--join", str(reg)]))
    outputs.append(runner.invoke(app, ["keys", "trust", str(reg), str(courts / "holder.pub")]))
    outputs.append(runner.invoke(app, ["keys", "show", str(reg)]))
    secrets = _secrets(reg) + _secrets(courts)
    outputs.append(runner.invoke(app, ["keys", "rotate", str(reg), "--cycle", "2025-07", "--registry"]))
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert not [s for s in secrets if s in said(result) or s[:12] in said(result)]
    assert "2025-06" in said(outputs[1]) and "courts" in said(outputs[2])
    assert "courts, registry" in said(outputs[3])
    assert "2025-07" in said(outputs[4])


def test_encode_refuses_a_secret_readable_by_others(tmp_path, world):
    runner.invoke(app, ["keys", "init", str(tmp_path / "k"), "--holder", "registry"])
    os.chmod(tmp_path / "k" / LINKAGE_SECRET, 0o644)
    write_csv(tmp_path / "in.csv", COURT_HEADER, [["C-1", "198503021234", "علي حسن", "", "", "", ""]])
    result = runner.invoke(app, ["encode", str(tmp_path / "in.csv"), "--schema", str(world / "courts.yaml"),
                                 "--keys", str(tmp_path / "k"), "--out", str(tmp_path / "p.pkg")])
    assert result.exit_code == 1 and "too open" in said(result) and "chmod 600" in said(result)


def test_encode_writes_the_package_and_says_what_stays_here(world, tmp_path):
    out = tmp_path / "courts.pkg"
    result = runner.invoke(app, ["encode", str(world / "courts.csv"), "--schema", str(world / "courts.yaml"),
                                 "--keys", str(world / "keys" / "courts"), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    # Rich may wrap the long temporary path anywhere, even inside the file name: compare without spaces.
    assert "records encoded" in said(result) and "keep" in said(result)
    assert "courts.pkg.map.csv" in said(result).replace(" ", "")
    assert open_package(out, TrustStore.from_dir(world / "keys" / "registry")).agency == "courts"
    again = runner.invoke(app, ["encode", str(world / "courts.csv"), "--schema", str(world / "courts.yaml"),
                                "--keys", str(world / "keys" / "courts"), "--out", str(out), "--workers", "1"])
    assert again.exit_code == 1 and "already exists" in said(again)


def test_encode_fails_only_when_nothing_is_usable(world, tmp_path):
    write_csv(tmp_path / "bad.csv", COURT_HEADER, [["C-1", "123", "", "", "1990", "x", "y"],
                                                   ["C-2", "", "؟", "", "", "x", "y"]])
    result = runner.invoke(app, ["encode", str(tmp_path / "bad.csv"), "--schema", str(world / "courts.yaml"),
                                 "--keys", str(world / "keys" / "courts"), "--out", str(tmp_path / "bad.pkg")])
    assert result.exit_code == 1 and "no row has anything to match on" in said(result)
    report = read_csv(tmp_path / "bad.pkg.errors.csv")
    assert ("2", "national_id", "123") in {(r["row"], r["field"], r["value"]) for r in report}


def test_encode_names_missing_columns_and_unknown_example_schemas(world, tmp_path):
    write_csv(tmp_path / "x.csv", ["contract_no", "name"], [["1", "علي"]])
    result = runner.invoke(app, ["encode", str(tmp_path / "x.csv"), "--schema", str(world / "courts.yaml"),
                                 "--keys", str(world / "keys" / "courts"), "--out", str(tmp_path / "x.pkg")])
    assert result.exit_code == 1 and "missing" in said(result) and "الرقم الوطني" in said(result)
    result = runner.invoke(app, ["encode", str(tmp_path / "x.csv"), "--schema", "example:bakery",
                                 "--keys", str(world / "keys" / "courts"), "--out", str(tmp_path / "x.pkg")])
    assert result.exit_code == 1 and "no example schema 'bakery'" in said(result)


def test_a_partner_follows_the_registry_into_the_next_cycle(tmp_path):
    reg, courts = tmp_path / "registry", tmp_path / "courts"
    runner.invoke(app, ["keys", "init", str(reg), "--holder", "registry"])
    runner.invoke(app, ["keys", "init", str(courts), "--holder", "courts", "--join", str(reg)])
    runner.invoke(app, ["keys", "rotate", str(reg), "--cycle", "next"])
    result = runner.invoke(app, ["keys", "rotate", str(courts), "--join", str(reg)])
    assert result.exit_code == 0, result.output
    assert HolderKeys.load(courts).cycle == HolderKeys.load(reg).cycle == "next"
    assert (HolderKeys.load(courts).subkey("token/given_name").reveal()
            == HolderKeys.load(reg).subkey("token/given_name").reveal())
