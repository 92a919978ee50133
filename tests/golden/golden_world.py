"""A fixed synthetic world encoded under fixed keys, matched by the hub: the golden figures of the
encoder and the hub.

Keys are made in the test with a fixed linkage secret and cycle id, dummies and padding are off, so every
token, Bloom filter and hit is the same on every run. What is compared leaves out what is random by design
(references, sealed payloads): encodings are keyed by the holder's record id, hits by the two record ids.

The hub's model is trained once and kept (``models/``): training samples pairs from packages whose rows are
in random order by design, so a probability near a threshold can move between runs. The test scores with
the kept model and checks separately that the hub builds the same comparisons (``comparisons.json``).

Regenerate the expected files (only when a change of the encodings or of the hits is intended, and say so
in the commit): ``python tests/golden/golden_world.py --write``.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sijill.linkage.comparisons import comparisons, present_columns, swap_column
from sijill.linkage.encodings import engine_table
from sijill.linkage.run import match
from sijill.pprl import format as fmt
from sijill.pprl import holder
from sijill.pprl.format.schema import PackageOptions, load_schema, schema_from_dict
from sijill.synth import generate_world
from sijill.tabular import read_batches

HERE = Path(__file__).parent
PERSONS, SEED = 6000, 13
CYCLE = "20260101-golden"
SECRET = hashlib.sha256(b"sijill golden world linkage secret").hexdigest()
# holder -> its extract in the world (the shipped schema of the same name reads it)
HOLDERS = {"registry": "registry/members.csv", "courts": "agencies/courts.csv", "ration": "agencies/ration.parquet",
           "travel": "agencies/travel.csv", "payroll": "agencies/payroll.csv"}
# A second encoding, encoded only: the hardened profile (no name tokens, balanced filters, BLIP), extra
# fields of both kinds and blocking tokens in any order and on an extra field.
HARDENED = {
    "agency": "payroll", "record_id": "رقم السجل",
    "fields": {"given_name": "الاسم", "father_name": "اسم الاب", "grandfather_name": "اسم الجد", "surname": "اللقب",
               "mother_name": "اسم الام", "birth_date": "تاريخ الميلاد", "national_id": "رقم البطاقة الوطنية",
               "governorate": "المحافظة", "sex": "الجنس", "ministry": "الوزارة", "employee_no": "الرقم الوظيفي"},
    "extra": {"ministry": "text", "employee_no": "exact"},
    "encoding": {"profile": "hardened", "blocking": {
        "swap": {"any_order": ["given_name.skeleton", "surname.skeleton"]},
        "ministry_year": ["extra.ministry", "birth_date.year"],
        "given_father_year": ["given_name.skeleton", "father_name.skeleton", "birth_date.year"]}},
    "package": {"dummy_share": 0, "pad_to": 1},
}


def fixed_keys(root: Path, holders) -> Path:
    """Key folders for ``holders`` sharing one fixed linkage secret (signing keys stay random: they
    change no encoding); returns the hub's folder of public keys."""
    keys, trusted = root / "keys", root / "hub" / "trusted"
    trusted.mkdir(parents=True, exist_ok=True)
    holder.init_keys(keys / "registry", "registry", cycle=CYCLE)
    secret = keys / "registry" / "linkage.secret"
    secret.unlink()
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"cycle": CYCLE, "secret": SECRET}, f)
    for who in holders:
        if who != "registry":
            holder.init_keys(keys / who, who, join=keys / "registry")
            holder.trust_key(keys / "registry", keys / who / "holder.pub")
        (trusted / f"{who}.pub").write_bytes((keys / who / "holder.pub").read_bytes())
    return trusted


def _quiet(schema: fmt.LinkageSchema) -> fmt.LinkageSchema:
    """No dummies and no padding: they are random by design."""
    return dataclasses.replace(schema, package=PackageOptions(dummy_share=0, pad_to=1))


def encode(root: Path, who: str, source: Path, schema: fmt.LinkageSchema, name: str | None = None) -> Path:
    result = holder.encode(read_batches(source).batches, schema, holder.HolderKeys.load(root / "keys" / who),
                         root / f"{name or who}.pkg", agency=who)
    return result.package


def record_ids(package: Path) -> dict[str, str]:
    with open(f"{package}.map.csv", encoding="utf-8-sig") as f:
        return {r["ref"]: r["record_id"] for r in csv.DictReader(f)}


def encoding_digests(package: Path, trusted: Path) -> list[dict[str, str]]:
    """Per package column: its type and a digest of its values in record-id order (ref and payload, random
    by design, by type only)."""
    ids = record_ids(package)
    table = fmt.open_package(package, fmt.TrustStore.from_dir(trusted)).read()
    order = sorted(range(table.num_rows), key=lambda i: ids[table["ref"][i].as_py()])
    table = table.take(pa.array(order, pa.int64()))
    out = []
    for f in table.schema:
        digest = ""
        if f.name not in ("ref", "payload"):
            values = table[f.name].to_pylist()
            digest = hashlib.sha256(repr([v.hex() if isinstance(v, bytes) else v for v in values]).encode()).hexdigest()
        out.append({"column": f.name, "type": str(f.type), "digest": digest[:16]})
    return out


def hits(root: Path, packages: dict[str, Path], trusted: Path, models: Path | None) -> list[dict[str, str]]:
    """The hub's hits as (registry record, agency, partner record, class, levels per field), scored with
    the kept ``models`` (trained, and written to ``root/hits.parquet.models``, when ``None``)."""
    out = root / "hits.parquet"
    partners = [p for who, p in packages.items() if who != "registry"]
    match(packages["registry"], partners, out, fmt.TrustStore.from_dir(trusted), keep=True, model_dir=models)
    refs = {}
    for p in packages.values():
        refs.update(record_ids(p))
    rows = []
    for h in pq.read_table(out).to_pylist():
        levels = ";".join(f"{e['field']}={e['level']}" for e in h["explanation"] or [])
        rows.append({"registry_record": refs[h["registry_ref"]], "agency": h["agency"],
                     "partner_record": refs[h["partner_ref"]], "match_class": h["match_class"], "levels": levels})
    return sorted(rows, key=lambda r: (r["agency"], r["registry_record"], r["partner_record"]))


def hub_comparisons(packages: dict[str, Path], trusted: Path) -> dict[str, list[dict]]:
    """Per partner, the comparisons the hub builds for its pair of packages (as Splink dictionaries)."""
    store = fmt.TrustStore.from_dir(trusted)
    registry = fmt.open_package(packages["registry"], store)
    reg = engine_table(registry, "registry")
    spec = registry.manifest.spec
    out = {}
    for who, path in packages.items():
        if who != "registry":
            par = engine_table(fmt.open_package(path, store), who)
            out[who] = comparisons(present_columns(reg, par), swap_column(spec.blocking), spec.extra)
    return out


def build(root: Path, models: Path | None = HERE / "models") -> dict[str, list[dict[str, str]]]:
    """Everything the golden test compares, made in ``root`` (``models``: see ``hits``)."""
    generate_world(root / "world", PERSONS, seed=SEED)
    trusted = fixed_keys(root, HOLDERS)
    schemas = fmt.example_schemas()
    packages = {who: encode(root, who, root / "world" / path, _quiet(load_schema(schemas[who])))
                for who, path in HOLDERS.items()}
    columns = []
    for who, package in packages.items():
        columns += [{"package": who, **c} for c in encoding_digests(package, trusted)]
    hardened = encode(root, "payroll", root / "world" / HOLDERS["payroll"], schema_from_dict(HARDENED), "hardened")
    columns += [{"package": "payroll-hardened", **c} for c in encoding_digests(hardened, trusted)]
    return {"encodings.csv": columns, "hits.csv": hits(root, packages, trusted, models),
            "comparisons.json": hub_comparisons(packages, trusted)}


def write(name: str, rows, folder: Path = HERE) -> None:
    if name.endswith(".json"):
        (folder / name).write_text(json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                   encoding="utf-8")
        return
    with open(folder / name, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read(name: str, folder: Path = HERE):
    if name.endswith(".json"):
        return json.loads((folder / name).read_text(encoding="utf-8"))
    with open(folder / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


if __name__ == "__main__":
    import shutil
    import tempfile

    writing = "--write" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        found = build(Path(tmp), None if writing else HERE / "models")
        target = HERE if writing else Path(sys.argv[-1])
        if writing:  # the models just trained are kept
            shutil.rmtree(HERE / "models", ignore_errors=True)
            shutil.copytree(Path(tmp) / "hits.parquet.models", HERE / "models")
        for name, rows in found.items():
            write(name, rows, target)
            print(f"{target / name}: {len(rows)} rows")
