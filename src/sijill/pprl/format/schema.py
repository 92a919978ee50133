"""The linkage schema: how a holder's columns become Sijill's canonical fields, and how they are encoded.

A schema is a small YAML file written once per data layout::

    agency: courts
    record_id: contract_no
    fields:
      national_id: الرقم الوطني
      given_name: الاسم
      father_name: اسم الاب
      mother_name: [اسم الام, اسم والد الام]   # several columns are joined with a space
      birth_date: تاريخ الميلاد
    payload: [contract_date, court]          # sealed to the registry; opened only for hits
    extra: {locality: text, postcode: exact} # fields beyond a person's, mapped under fields: like the others
    encoding: {profile: default}             # must be the same for every holder of a cycle (extra: too)
    package: {dummy_share: 0.02, pad_to: 1000}

The encoded columns of a package follow from the encoding settings alone (``EncodingSpec.arrow_schema``),
so every holder of a cycle writes the same columns whatever its input layout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
import yaml

from .errors import SchemaError
from .fields import IDENTIFIER_FIELDS, NAME_FIELDS, BlockingKey, ExtraField, Fields

FORMAT = "sijill-pprl/1"

CANONICAL_FIELDS = (*IDENTIFIER_FIELDS, *NAME_FIELDS, "full_name", "birth_date", "sex", "governorate")

# Kinds of a cycle's extra fields (``extra:``, beside the canonical person fields): ``exact`` a token of the
# normalised value (a postcode, a state); ``text`` a token and a Bloom filter of the normalised text (a street
# or a locality, compared by similarity). The encoder's per-field keys make each its own token space.
EXTRA_KINDS = ("exact", "text")
_RESERVED = {"ref", "payload", "unique_id", "source_dataset", "match_key", "match_weight", "match_probability"}

# Values a blocking token may combine, per field (a name's ``initial``: the first letter of its skeleton;
# its ``rasm``: its letters without their dots).
BLOCKING_PARTS = frozenset(
    {f"{f}.{kind}" for f in NAME_FIELDS for kind in ("skeleton", "canonical", "initial", "rasm")}
    | {"surname.key", "mother_name.first", "birth_date.year", "birth_date.month", "birth_date.full",
       "sex", "governorate"}
)


@cache
def defaults() -> dict:
    text = resources.files("sijill.pprl").joinpath("data/defaults.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


# What a Latin-script name's Bloom filter is made of: its Arabic form (``arabic``, the default: it meets the
# Arabic spellings of the same name across scripts) or its own Latin letters (``letters``: for a cycle whose
# holders all write Latin names, where the Arabic form would drop the short vowels that tell names apart).
LATIN_BLOOM = ("arabic", "letters")


@dataclass(frozen=True)
class BloomParams:
    bits: int = 512
    hashes: int = 8
    qgram: int = 2
    latin: str = "arabic"


@dataclass(frozen=True)
class Hardening:
    """``name_tokens``: exact tokens of name parts; ``balance``: a Bloom filter plus its complement,
    permuted with a key; ``xor_fold``: the two halves XOR-ed; ``blip``: each bit flipped with this
    probability, keyed by the record (equal names then give different filters); ``salt_given_name``: the
    given name's tokens and filter keyed by the father's and grandfather's names too, so that one given
    name gives one encoding per family, not one per file (a frequency attack then finds no common name)."""

    name_tokens: bool = True
    balance: bool = False
    xor_fold: bool = False
    blip: float = 0.0
    salt_given_name: bool = False


@dataclass(frozen=True)
class EncodingSpec:
    """Everything that decides the bytes of an encoding; equal specs (and keys) give comparable packages."""

    profile: str
    bloom: BloomParams
    hardening: Hardening
    blocking: tuple[BlockingKey, ...]
    token_bits: int = 64
    format: str = FORMAT
    extra: tuple[ExtraField, ...] = ()

    @property
    def bloom_bytes(self) -> int:
        bits = self.bloom.bits * (2 if self.hardening.balance else 1) // (2 if self.hardening.xor_fold else 1)
        return bits // 8

    def as_dict(self) -> dict:
        d = asdict(self)
        if d["bloom"]["latin"] == BloomParams.latin:  # left out at its default: earlier packages keep their hash
            del d["bloom"]["latin"]
        if not d["hardening"]["salt_given_name"]:  # likewise
            del d["hardening"]["salt_given_name"]
        d["blocking"] = [[b.name, b.as_setting()] for b in self.blocking]  # a list: the order is the columns' order
        if self.extra:  # left out when there is none: packages without extra fields keep their hash
            d["extra"] = [[x.name, x.kind] for x in self.extra]
        else:
            del d["extra"]
        return d

    @property
    def hash(self) -> str:
        return "sha256:" + hashlib.sha256(_canonical_json(self.as_dict())).hexdigest()

    def arrow_schema(self) -> pa.Schema:
        """The columns of a package's ``encodings.parquet``, each with its meaning in the field metadata."""
        return pa.schema([pa.field(name, typ, metadata={"doc": doc}) for name, typ, doc in self.columns()])

    @property
    def fields(self) -> Fields:
        """The encoded fields (``pprl.format.fields``): columns, comparisons and their level codes."""
        return Fields.of(self)

    def columns(self) -> list[tuple[str, pa.DataType, str]]:
        return self.fields.columns(self)


@dataclass(frozen=True)
class PackageOptions:
    """Holder-local settings: they change what a package hides, not how records compare."""

    dummy_share: float = 0.02
    pad_to: int = 1000


@dataclass(frozen=True)
class LinkageSchema:
    record_id: str
    fields: dict[str, tuple[str, ...]]
    payload: tuple[str, ...]
    encoding: EncodingSpec
    package: PackageOptions
    agency: str | None = None
    source: str = field(default="", compare=False)

    @property
    def hash(self) -> str:
        d = {"record_id": self.record_id, "fields": {k: list(v) for k, v in sorted(self.fields.items())},
             "payload": list(self.payload), "encoding": self.encoding.as_dict(), "package": asdict(self.package),
             "agency": self.agency}
        return "sha256:" + hashlib.sha256(_canonical_json(d)).hexdigest()

    def input_columns(self) -> list[str]:
        cols = [self.record_id, *(c for cs in self.fields.values() for c in cs), *self.payload]
        return list(dict.fromkeys(cols))

    def check_header(self, header: list[str], source: str = "the input") -> None:
        missing = [c for c in self.input_columns() if c not in header]
        if missing:
            raise SchemaError(f"{source}: columns named in the schema {self.source or ''} are missing: "
                              f"{', '.join(missing)} (the file has: {', '.join(header)})")


def _canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def encoding_spec(settings: dict | None = None) -> EncodingSpec:
    """Build the encoding settings from a profile name and overrides (``{"profile": "hardened", ...}``)."""
    settings = dict(settings or {})
    d = defaults()
    profile = settings.pop("profile", "default")
    if profile not in d["profiles"]:
        raise SchemaError(f"encoding profile {profile!r} is not one of {', '.join(d['profiles'])}")
    base = d["profiles"][profile]
    bloom_d = {**base["bloom"], **_mapping(settings.pop("bloom", {}), "encoding.bloom")}
    hard_d = {**base["hardening"], **_mapping(settings.pop("hardening", {}), "encoding.hardening")}
    blocking_d = settings.pop("blocking", d["blocking"])
    if isinstance(blocking_d, list):  # as written in a manifest: [[name, parts], ...]
        blocking_d = {str(item[0]): item[1] for item in blocking_d if isinstance(item, list) and len(item) == 2}
    blocking_d = _mapping(blocking_d, "encoding.blocking")
    extra = _extra_fields(settings.pop("extra", None))
    if settings:
        raise SchemaError(f"unknown encoding settings: {', '.join(settings)} (known: profile, bloom, "
                          "hardening, blocking, extra)")
    try:
        bloom = BloomParams(**bloom_d)
        hardening = Hardening(**hard_d)
    except TypeError as e:
        raise SchemaError(f"encoding: {e}") from None
    _check_bloom(bloom, hardening)
    # An extra field may take part in a blocking token as ``extra.<name>`` (its normalised value).
    allowed = BLOCKING_PARTS | {f"extra.{x.name}" for x in extra}
    blocking = tuple(_blocking_key(name, parts, allowed) for name, parts in blocking_d.items())
    return EncodingSpec(profile=profile, bloom=bloom, hardening=hardening, blocking=blocking, extra=extra)


def _extra_fields(value) -> tuple[ExtraField, ...]:
    """``{name: kind}`` (a schema's ``extra:``) or ``[[name, kind], ...]`` (as written in a manifest)."""
    if not value:
        return ()
    if isinstance(value, list):
        value = {str(item[0]): item[1] for item in value if isinstance(item, list) and len(item) == 2}
    out = []
    for name, kind in _mapping(value, "extra").items():
        if not (isinstance(name, str) and name.isascii() and name.replace("_", "").isalnum() and name[:1].isalpha()
                and name.islower()):
            raise SchemaError(f"extra field name {name!r}: use lower-case ASCII letters, digits and '_'")
        if name in CANONICAL_FIELDS or name in _RESERVED:
            raise SchemaError(f"extra field {name!r}: the name is taken (a canonical field or a column of the hub)")
        if kind not in EXTRA_KINDS:
            raise SchemaError(f"extra field {name!r}: kind must be one of {', '.join(EXTRA_KINDS)}, not {kind!r}")
        out.append(ExtraField(name, kind))
    return tuple(out)


def _check_bloom(bloom: BloomParams, hardening: Hardening) -> None:
    if not (64 <= bloom.bits <= 8192 and bloom.bits % 16 == 0):
        raise SchemaError(f"bloom.bits must be a multiple of 16 between 64 and 8192, not {bloom.bits}")
    if not 1 <= bloom.hashes <= 64:
        raise SchemaError(f"bloom.hashes must be between 1 and 64, not {bloom.hashes}")
    if bloom.qgram not in (1, 2, 3):
        raise SchemaError(f"bloom.qgram must be 1, 2 or 3, not {bloom.qgram}")
    if bloom.latin not in LATIN_BLOOM:
        raise SchemaError(f"bloom.latin must be one of {', '.join(LATIN_BLOOM)}, not {bloom.latin!r}")
    if not 0 <= hardening.blip < 0.5:
        raise SchemaError(f"hardening.blip is a bit-flip probability below 0.5, not {hardening.blip}")


def _blocking_key(name: str, parts, allowed: frozenset[str] = BLOCKING_PARTS) -> BlockingKey:
    any_order = isinstance(parts, dict)
    if any_order:
        if set(parts) != {"any_order"}:
            raise SchemaError(f"blocking key {name!r}: a mapping must be {{any_order: [values]}}")
        parts = parts["any_order"]
        kinds = {str(p).partition(".")[2] for p in parts} if isinstance(parts, list) else set()
        if len(kinds) > 1:
            raise SchemaError(f"blocking key {name!r}: values in any order must be of one kind (all .skeleton, ...)")
    if not isinstance(parts, list) or len(parts) < 2:
        raise SchemaError(f"blocking key {name!r} must combine at least two values (never one alone)")
    unknown = [p for p in parts if p not in allowed]
    if unknown:
        raise SchemaError(f"blocking key {name!r}: unknown values {', '.join(map(str, unknown))}; "
                          f"choose from {', '.join(sorted(allowed))}")
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise SchemaError(f"blocking key name {name!r}: use ASCII letters, digits and '_'")
    return BlockingKey(name, tuple(parts), any_order)


def _mapping(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SchemaError(f"{where} must be a mapping, not {type(value).__name__}")
    return value


def _columns(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    raise SchemaError(f"{where} must name a column or a list of columns, not {value!r}")


def schema_from_dict(data: dict, source: str = "") -> LinkageSchema:
    """Validate a schema given as a mapping (the parsed YAML)."""
    where = source or "linkage schema"
    data = dict(_mapping(data, where))
    known = {"agency", "record_id", "fields", "payload", "encoding", "package", "extra"}
    if unknown := set(data) - known:
        raise SchemaError(f"{where}: unknown keys {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    if not isinstance(data.get("record_id"), str) or not data["record_id"].strip():
        raise SchemaError(f"{where}: 'record_id' must name the column holding each record's id")
    encoding_d = dict(_mapping(data.get("encoding"), f"{where}: encoding"))
    if data.get("extra"):
        if "extra" in encoding_d:
            raise SchemaError(f"{where}: declare extra fields once, under 'extra:' (not also under 'encoding:')")
        encoding_d["extra"] = _mapping(data["extra"], f"{where}: extra")
    try:
        encoding = encoding_spec(encoding_d)
    except SchemaError as e:
        raise SchemaError(f"{where}: {e}") from None
    fields_d = _mapping(data.get("fields"), f"{where}: fields")
    extra_names = [x.name for x in encoding.extra]
    unknown_fields = [f for f in fields_d if f not in CANONICAL_FIELDS and f not in extra_names]
    if unknown_fields:
        raise SchemaError(f"{where}: unknown fields {', '.join(unknown_fields)}; canonical fields are "
                          f"{', '.join(CANONICAL_FIELDS)}" + (f"; extra fields {', '.join(extra_names)}"
                                                               if extra_names else " (declare others under extra:)"))
    fields = {f: _columns(cols, f"{where}: fields.{f}") for f, cols in fields_d.items()}
    identifying = set(IDENTIFIER_FIELDS) | set(NAME_FIELDS) | {"full_name"}
    if not identifying & set(fields):
        raise SchemaError(f"{where}: map at least one of {', '.join(sorted(identifying))}")
    payload = data.get("payload") or []
    payload = _columns(payload, f"{where}: payload") if payload else ()
    package_d = {**defaults()["package"], **_mapping(data.get("package"), f"{where}: package")}
    try:
        package = PackageOptions(**package_d)
    except TypeError as e:
        raise SchemaError(f"{where}: package: {e}") from None
    if not 0 <= package.dummy_share <= 1 or package.pad_to < 1:
        raise SchemaError(f"{where}: package.dummy_share must be in 0..1 and package.pad_to at least 1")
    agency = data.get("agency")
    return LinkageSchema(record_id=data["record_id"].strip(), fields=fields, payload=payload, encoding=encoding,
                         package=package, agency=str(agency) if agency else None, source=source)


EXAMPLE = "example:"


def example_schemas() -> dict[str, Path]:
    """The shipped schemas (the registry and each agency), by agency code: the ``linkage`` section of each
    agency's file in ``sijill/agencies/``."""
    folder = resources.files("sijill").joinpath("agencies")
    return {p.name.removesuffix(".yaml"): Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml")}


def example_schema_data(code: str) -> dict:
    """The linkage schema of a shipped agency as a plain mapping (to change a copy of it)."""
    data = yaml.safe_load(example_schemas()[code].read_text(encoding="utf-8"))
    return {**data["linkage"], "agency": data["code"]}


def load_schema(path: Path | str) -> LinkageSchema:
    """Read and validate a linkage schema YAML file; ``example:courts`` names a shipped example."""
    if str(path).startswith(EXAMPLE):
        name = str(path)[len(EXAMPLE) :]
        examples = example_schemas()
        if name not in examples:
            raise SchemaError(f"no example schema {name!r}; there are: {', '.join(sorted(examples))}")
        path = examples[name]
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: no such schema file") from None
    except yaml.YAMLError as e:
        raise SchemaError(f"{path}: not valid YAML ({e})") from None
    if isinstance(data, dict) and "linkage" in data:  # an agency's file (sijill/agencies/): its linkage section
        data = {**data["linkage"], "agency": data.get("code")}
    return schema_from_dict(data, source=str(path))
